-- wrk script: each request exchanges the next pre-issued authorization code
-- (client_secret_post). CODES names a file with one code per line; CLIENT the
-- client id (secret "bench-secret"). Threads take disjoint halves of the file.
local codes = {}
for line in io.lines(os.getenv("CODES")) do codes[#codes + 1] = line end
local client = os.getenv("CLIENT")

local count = 0
function setup(thread)
  thread:set("id", count)
  count = count + 1
end

function init(args)
  half = math.floor(#codes / 2)
  next_index = id * half + 1
  last_index = next_index + half - 1
end

function request()
  if next_index > last_index then next_index = last_index end
  local code = codes[next_index]
  next_index = next_index + 1
  local body = "grant_type=authorization_code&redirect_uri=http%3A%2F%2F127.0.0.1%3A8765%2Fcallback"
    .. "&client_id=" .. client .. "&client_secret=bench-secret&code=" .. code
  return wrk.format("POST", nil, { ["Content-Type"] = "application/x-www-form-urlencoded" }, body)
end
