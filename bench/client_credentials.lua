-- wrk script: client_credentials for CLIENT (secret "bench-secret").
local client = os.getenv("CLIENT")
wrk.method = "POST"
wrk.body = "grant_type=client_credentials&client_id=" .. client .. "&client_secret=bench-secret"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
