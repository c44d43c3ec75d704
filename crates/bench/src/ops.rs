//! The operations of the mix. Each is one small function of a client and
//! the shared fixtures; adding a capability to the load run means adding a
//! function here and a line in [`mix`].

use futures::FutureExt;
use reqwest::header::{COOKIE, LOCATION};

use crate::form;
use crate::load::{Client, Op, OpResult};

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "tb_session";

/// The password of every seeded account (the demo's).
pub const PASSWORD: &str = tongban_core::demo::DEMO_PASSWORD;

/// The bench relying party and service account registered by the seeder.
pub const RP_ID: &str = "bench-rp";
/// Its secret.
pub const RP_SECRET: &str = "bench-secret";
/// Its redirect URI (never called: the code is read from the redirect).
pub const RP_REDIRECT: &str = "http://127.0.0.1:8765/callback";
/// The service account for `client_credentials`.
pub const SVC_ID: &str = "bench-svc";

/// Phrasings citizens search with: official names, colloquial words that
/// go through the synonym list, and an English query.
pub const QUERIES: &[&str] = &[
    "身份证",
    "营业执照",
    "开饭店",
    "社保卡",
    "公积金",
    "户口",
    "出生证",
    "结婚",
    "退休",
    "驾驶证",
    "护照",
    "环评",
    "business licence",
];

/// Fixtures every client reads.
#[derive(Debug, Clone, Default)]
pub struct Shared {
    /// Implementation codes of published items.
    pub task_codes: Vec<String>,
    /// Theme codes.
    pub themes: Vec<String>,
    /// Seeded accounts are `bench0000000` … (`accounts` of them).
    pub accounts: usize,
    /// Session cookies of signed-in citizens (shared round-robin).
    pub citizen_sessions: Vec<String>,
    /// Session cookie of the catalog administrator.
    pub admin_session: String,
    /// Draft versions, one per editing client (`client.id % len`).
    pub drafts: Vec<i64>,
    /// Token endpoint path and client of the `client_credentials` step
    /// (tongban's, or a peer's).
    pub token_path: String,
    /// Items the demo citizen applies for whole in the mix, with the
    /// materials each asks: (实施编码, material codes). In the scope of
    /// the demo window clerk.
    pub apply_items: Vec<(String, Vec<String>)>,
    /// Items with a text question a draft edits: (实施编码, field key).
    pub draft_items: Vec<(String, String)>,
    /// Application drafts of the demo citizen, one per editing client
    /// (`client.id % len`): (id, the text field it edits).
    pub application_drafts: Vec<(String, String)>,
    /// (实施编码, material code) of a material taking 50 MB files, of an
    /// item serving enterprises.
    pub big_material: Option<(String, String)>,
    /// Session cookie of the demo enterprise (who uploads the 50 MB file).
    pub enterprise_session: String,
    /// Session cookie of the demo citizen (who applies).
    pub applicant_session: String,
    /// Session cookie of the demo window clerk (who accepts).
    pub clerk_session: String,
}

/// The username of seeded account `i`.
pub fn bench_username(i: usize) -> String {
    format!("bench{i:07}")
}

/// The mix: a city portal's day, per mille of operations. Page views
/// dominate; a sign-in (50 ms of Argon2id by design) is rare next to them.
pub fn mix() -> Vec<Op> {
    vec![
        Op {
            name: "guide",
            weight: 300,
            run: |c, s| guide(c, s).boxed(),
        },
        Op {
            name: "search",
            weight: 150,
            run: |c, s| search(c, s).boxed(),
        },
        Op {
            name: "home",
            weight: 100,
            run: |c, s| home(c, s).boxed(),
        },
        Op {
            name: "theme",
            weight: 100,
            run: |c, s| theme(c, s).boxed(),
        },
        Op {
            name: "me",
            weight: 100,
            run: |c, s| me(c, s).boxed(),
        },
        Op {
            name: "oidc",
            weight: 80,
            run: |c, s| oidc_code_flow(c, s).boxed(),
        },
        Op {
            name: "client_credentials",
            weight: 50,
            run: |c, s| client_credentials(c, s).boxed(),
        },
        Op {
            name: "draft_save",
            weight: 40,
            run: |c, s| draft_save(c, s).boxed(),
        },
        Op {
            name: "apply",
            weight: 5,
            run: |c, s| apply(c, s).boxed(),
        },
        Op {
            name: "admin_edit",
            weight: 18,
            run: |c, s| admin_edit(c, s).boxed(),
        },
        Op {
            name: "sign_in",
            weight: 2,
            run: |c, s| sign_in(c, s).boxed(),
        },
    ]
}

/// The operation named `name` alone (for isolated runs).
pub fn only(name: &str) -> Option<Op> {
    if name == "healthz" {
        return Some(Op {
            name: "healthz",
            weight: 1,
            run: |c, s| healthz(c, s).boxed(),
        });
    }
    mix()
        .into_iter()
        .find(|o| o.name == name)
        .map(|o| Op { weight: 1, ..o })
}

fn cookie(value: &str) -> String {
    format!("{SESSION_COOKIE}={value}")
}

/// `GET /healthz`: the bare handler on the same stack (the HTTP limit).
async fn healthz(c: &mut Client, _: &Shared) -> OpResult {
    let url = c.url("/healthz");
    let req = c.http.get(url);
    c.expect("healthz", req, 200).await.map(drop)
}

/// `GET /`: the portal's home page.
async fn home(c: &mut Client, _: &Shared) -> OpResult {
    let url = c.url("/");
    let req = c.http.get(url);
    let res = c.expect("home", req, 200).await?;
    res.bytes().await.map(drop).map_err(|e| e.to_string())
}

/// `GET /items?theme=…`: a life-event theme's list.
async fn theme(c: &mut Client, s: &Shared) -> OpResult {
    let t = &s.themes[c.pick(s.themes.len())];
    let url = c.url(&format!("/items?theme={t}"));
    let req = c.http.get(url);
    let res = c.expect("theme", req, 200).await?;
    res.bytes().await.map(drop).map_err(|e| e.to_string())
}

/// `GET /items/{code}`: one item's guide. Items are picked by Zipf's law
/// (s = 1) over the catalog: a few popular items take most views, as they
/// do on a real portal, and every item can still be picked.
async fn guide(c: &mut Client, s: &Shared) -> OpResult {
    let code = &s.task_codes[c.pick_popular(s.task_codes.len())];
    let url = c.url(&format!("/items/{code}"));
    let req = c.http.get(url);
    let res = c.expect("guide", req, 200).await?;
    let body = res.text().await.map_err(|e| e.to_string())?;
    if body.contains(code.as_str()) {
        Ok(())
    } else {
        Err(format!("guide {code}: the page does not name the item"))
    }
}

/// `GET /items?q=…`: search.
async fn search(c: &mut Client, _: &Shared) -> OpResult {
    let q = QUERIES[c.pick(QUERIES.len())];
    let url = c.url("/items");
    let req = c.http.get(url).query(&[("q", q)]);
    let res = c.expect("search", req, 200).await?;
    res.bytes().await.map(drop).map_err(|e| e.to_string())
}

/// `GET /api/v1/me` with a citizen's session: session and account reads.
async fn me(c: &mut Client, s: &Shared) -> OpResult {
    let session = &s.citizen_sessions[c.id % s.citizen_sessions.len()];
    let url = c.url("/api/v1/me");
    let req = c.http.get(url).header(COOKIE, cookie(session));
    let res = c.expect("me", req, 200).await?;
    res.bytes().await.map(drop).map_err(|e| e.to_string())
}

/// `POST /api/v1/session`: a seeded account signs in (Argon2id).
async fn sign_in(c: &mut Client, s: &Shared) -> OpResult {
    let user = bench_username(c.pick(s.accounts.max(1)));
    let url = c.url("/api/v1/session");
    let req = c
        .http
        .post(url)
        .json(&serde_json::json!({"username": user, "password": PASSWORD}));
    c.expect("sign_in", req, 201).await.map(drop)
}

/// Single sign-on to a department system: `GET /oauth/authorize` with the
/// citizen's session (redirect carrying a code), then the system exchanges
/// the code at `POST /oauth/token` for ID, access and refresh tokens.
async fn oidc_code_flow(c: &mut Client, s: &Shared) -> OpResult {
    let session = &s.citizen_sessions[c.id % s.citizen_sessions.len()];
    let url = c.url("/oauth/authorize");
    let req = c
        .http
        .get(url)
        .query(&[
            ("response_type", "code"),
            ("client_id", RP_ID),
            ("redirect_uri", RP_REDIRECT),
            ("scope", "openid profile"),
            ("state", "bench"),
            ("nonce", "bench"),
        ])
        .header(COOKIE, cookie(session));
    let res = c.send("authorize", req).await?;
    let location = res
        .headers()
        .get(LOCATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let code = location
        .split(['?', '&'])
        .find_map(|kv| kv.strip_prefix("code="))
        .ok_or_else(|| {
            format!(
                "authorize: HTTP {} without a code ({location})",
                res.status()
            )
        })?
        .to_owned();
    let url = c.url("/oauth/token");
    let req = c.http.post(url).basic_auth(RP_ID, Some(RP_SECRET)).form(&[
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", RP_REDIRECT),
    ]);
    let res = c.expect("token_code", req, 200).await?;
    let body = res.text().await.map_err(|e| e.to_string())?;
    if body.contains("\"id_token\"") {
        Ok(())
    } else {
        Err("token_code: no id_token in the answer".into())
    }
}

/// `POST /oauth/token` with `client_credentials`: a department system
/// obtains an access token for the catalog API.
async fn client_credentials(c: &mut Client, s: &Shared) -> OpResult {
    let url = c.url(&s.token_path);
    let req = c.http.post(url).form(&[
        ("grant_type", "client_credentials"),
        ("client_id", SVC_ID),
        ("client_secret", RP_SECRET),
        ("scope", "catalog.read"),
    ]);
    let res = c.expect("client_credentials", req, 200).await?;
    res.bytes().await.map(drop).map_err(|e| e.to_string())
}

/// A catalog administrator edits a draft guide: opens the editor, changes
/// the office hours, saves (optimistic revision check included).
async fn admin_edit(c: &mut Client, s: &Shared) -> OpResult {
    let draft = s.drafts[c.id % s.drafts.len()];
    let path = format!("/admin/catalog/versions/{draft}");
    let url = c.url(&path);
    let req = c.http.get(url).header(COOKIE, cookie(&s.admin_session));
    let res = c.expect("edit_open", req, 200).await?;
    let page = res.text().await.map_err(|e| e.to_string())?;
    let mut fields = form::fields(&page, "guide-form").ok_or("edit_open: no guide form")?;
    let hours = format!("工作日 9:00-17:00（第{}次修改）", c.pick(1_000_000));
    form::set(&mut fields, "hours", &hours);
    form::set(&mut fields, "action", "save");
    let url = c.url(&path);
    let req = c
        .http
        .post(url)
        .header(COOKIE, cookie(&s.admin_session))
        .form(&fields);
    c.expect("edit_save", req, 303).await.map(drop)
}

/// A citizen's application draft: opened (`GET`, for its revision) and one
/// answer changed (`PATCH`), as every question page saves.
async fn draft_save(c: &mut Client, s: &Shared) -> OpResult {
    if s.application_drafts.is_empty() {
        return Err("draft_save: no application drafts".into());
    }
    let (id, key) = &s.application_drafts[c.id % s.application_drafts.len()];
    let path = format!("/api/v1/applications/{id}");
    let url = c.url(&path);
    let req = c.http.get(url).header(COOKIE, cookie(&s.applicant_session));
    let draft: serde_json::Value = c
        .expect("draft_open", req, 200)
        .await?
        .json()
        .await
        .map_err(|e| e.to_string())?;
    let revision = draft["revision"]
        .as_i64()
        .ok_or("draft_open: no revision")?;
    let value = format!("第{}次填写", c.pick(1_000_000));
    let url = c.url(&path);
    let req = c
        .http
        .patch(url)
        .header(COOKIE, cookie(&s.applicant_session))
        .json(&serde_json::json!({"revision": revision, "fields": {key.as_str(): value}}));
    c.expect("draft_save", req, 200).await.map(drop)
}

/// A whole application and its acceptance: the citizen starts one, gives
/// a 200 KB PDF for each material, submits; the window clerk opens the
/// case (a recorded read) and accepts it.
async fn apply(c: &mut Client, s: &Shared) -> OpResult {
    if s.apply_items.is_empty() {
        return Err("apply: no items to apply for".into());
    }
    let (code, materials) = &s.apply_items[c.pick(s.apply_items.len())];
    let session = cookie(&s.applicant_session);
    let url = c.url("/api/v1/applications");
    let req = c
        .http
        .post(url)
        .header(COOKIE, &session)
        .json(&serde_json::json!({"item": code}));
    let created: serde_json::Value = c
        .expect("apply_start", req, 201)
        .await?
        .json()
        .await
        .map_err(|e| e.to_string())?;
    let id = created["id"]
        .as_str()
        .ok_or("apply_start: no id")?
        .to_owned();
    let revision = created["revision"]
        .as_i64()
        .ok_or("apply_start: no revision")?;
    for m in materials {
        let url = c.url(&format!(
            "/api/v1/applications/{id}/materials/{m}/files?name=scan.pdf"
        ));
        let body = scan(c.pick(usize::MAX));
        let req = c.http.post(url).header(COOKIE, &session).body(body);
        c.expect("apply_upload", req, 201).await?;
    }
    let url = c.url(&format!("/api/v1/applications/{id}/submit"));
    let req = c
        .http
        .post(url)
        .header(COOKIE, &session)
        .json(&serde_json::json!({
            "revision": revision,
            "declaration": tongban_core::applications::declaration::VERSION,
        }));
    let done: serde_json::Value = c
        .expect("apply_submit", req, 200)
        .await?
        .json()
        .await
        .map_err(|e| e.to_string())?;
    let number = done["case_number"]
        .as_str()
        .ok_or("apply_submit: no case number")?
        .to_owned();
    let clerk = cookie(&s.clerk_session);
    let path = format!("/api/v1/cases/{number}");
    let url = c.url(&path);
    let req = c.http.get(url).header(COOKIE, &clerk);
    let case: serde_json::Value = c
        .expect("case_open", req, 200)
        .await?
        .json()
        .await
        .map_err(|e| e.to_string())?;
    let revision = case["revision"].as_i64().ok_or("case_open: no revision")?;
    let url = c.url(&format!("{path}/actions"));
    let req = c
        .http
        .post(url)
        .header(COOKIE, &clerk)
        .json(&serde_json::json!({"action": "accept", "revision": revision}));
    c.expect("case_accept", req, 200).await.map(drop)
}

/// A 200 KB scan as a PDF, different for every `n`.
pub fn scan(n: usize) -> Vec<u8> {
    let (head, tail) = pdf_frame(crate::applying::FILE_BYTES - 400);
    let mut body = head;
    body.extend(noise(crate::applying::FILE_BYTES - 400, n as u64));
    body.extend(tail);
    body
}

/// `len` bytes that neither compress nor repeat, different for every `seed`.
pub fn noise(len: usize, seed: u64) -> Vec<u8> {
    let mut out = Vec::with_capacity(len + 8);
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15 ^ seed;
    while out.len() < len {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        out.extend_from_slice(&x.to_le_bytes());
    }
    out.truncate(len);
    out
}

/// A well-formed one-page PDF around a content stream of `len` bytes: what
/// comes before the stream's bytes and what comes after them, with a
/// cross-reference table whose offsets are right (uploads are checked for
/// structure), so a large file can be streamed between the two.
pub fn pdf_frame(len: usize) -> (Vec<u8>, Vec<u8>) {
    let mut head = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    for o in [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>",
    ] {
        offsets.push(head.len());
        head.extend_from_slice(format!("{} 0 obj\n{o}\nendobj\n", offsets.len()).as_bytes());
    }
    offsets.push(head.len());
    head.extend_from_slice(format!("4 0 obj\n<< /Length {len} >>\nstream\n").as_bytes());
    let mut tail = b"\nendstream\nendobj\n".to_vec();
    let xref = head.len() + len + tail.len();
    tail.extend_from_slice(b"xref\n0 5\n0000000000 65535 f \n");
    for o in offsets {
        tail.extend_from_slice(format!("{o:010} 00000 n \n").as_bytes());
    }
    tail.extend_from_slice(
        format!("trailer\n<< /Size 5 /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n").as_bytes(),
    );
    (head, tail)
}
