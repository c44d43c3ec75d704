//! JSON API: problem details, checks, organisations, OpenAPI.

use serde_json::{Value, json};

use crate::helpers::TestApp;

#[tokio::test]
async fn divisions_api() {
    let app = TestApp::spawn().await;
    let c = app.client();
    let list: Vec<Value> = c
        .get(app.url("/api/v1/divisions?parent=230100"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list.len(), 18);
    assert_eq!(list[0]["code"], "230102");
    assert_eq!(list[0]["name_zh"], "道里区");
    let d: Value = c
        .get(app.url("/api/v1/divisions/230102001"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(d["parent_code"], "230102");
    assert_eq!(d["children"].as_array().unwrap().len(), 3);
    let r = c.get(app.url("/api/v1/divisions/12")).send().await.unwrap();
    assert_eq!(r.status(), 422);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    let p: Value = r.json().await.unwrap();
    assert_eq!(p["errors"][0]["field"], "code");
    let r = c
        .get(app.url("/api/v1/divisions/999999"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let p: Value = r.json().await.unwrap();
    assert_eq!(p["status"], 404);
    assert_eq!(p["code"], "not_found");
    assert!(p["request_id"].as_str().unwrap().len() >= 8);
}

#[tokio::test]
async fn id_and_credit_code_checks_name_the_reason() {
    let app = TestApp::spawn().await;
    let c = app.client();
    let check = |path: &'static str, v: &'static str| {
        let c = c.clone();
        let url = app.url(path);
        async move {
            c.post(url)
                .json(&json!({ "value": v }))
                .send()
                .await
                .unwrap()
                .json::<Value>()
                .await
                .unwrap()
        }
    };
    let ok = check("/api/v1/checks/id-card", "11010519491231002x").await;
    assert_eq!(ok["valid"], true);
    assert_eq!(ok["normalized"], "11010519491231002X");
    assert_eq!(ok["birth_date"], "1949-12-31");
    for (v, code) in [
        ("1101051949123100", "id_card.length"),
        ("99010519491231002X", "id_card.region"),
        ("110105194902300021", "id_card.birth_date"),
        ("110105194912310021", "id_card.check"),
    ] {
        let r = check("/api/v1/checks/id-card", v).await;
        assert_eq!(r["valid"], false);
        assert_eq!(r["code"], code, "{v}");
    }
    let r = check("/api/v1/checks/id-card", "110105194912310021").await;
    assert_eq!(r["message"], "公民身份号码校验码错误：第18位应为X，实际为1");
    let ok = check("/api/v1/checks/credit-code", "9144030071526726XG").await;
    assert_eq!(ok["valid"], true);
    assert_eq!(ok["region_code"], "440300");
    for (v, code) in [
        ("914403", "credit_code.length"),
        ("9144030071526726IG", "credit_code.characters"),
        ("91440300715267261G", "credit_code.org_code"),
        ("9144030071526726XH", "credit_code.check"),
    ] {
        assert_eq!(
            check("/api/v1/checks/credit-code", v).await["code"],
            code,
            "{v}"
        );
    }
    // Malformed JSON is a problem document, not a crash.
    let r = c
        .post(app.url("/api/v1/checks/id-card"))
        .header("content-type", "application/json")
        .body("{")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
}

#[tokio::test]
async fn organisation_create_requires_a_system_admin_in_scope_and_valid_fields() {
    let app = TestApp::spawn().await;
    let parent = app.org_id("哈尔滨市道里区人民政府").await;
    let body = json!({
        "credit_code": "11230102000009999X", "name_zh": "哈尔滨市道里区卫生健康局", "name_en": "Daoli District Health Bureau",
        "kind": "department", "admin_level": 4, "division_code": "230102", "parent_id": parent
    });
    let r = app
        .client()
        .post(app.url("/api/v1/organizations"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let r = app
        .clerk()
        .await
        .post(app.url("/api/v1/organizations"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);

    let admin = app.admin().await;
    let r = admin
        .post(app.url("/api/v1/organizations"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        422,
        "a code with a bad check character must be refused"
    );
    let p: Value = r.json().await.unwrap();
    assert_eq!(p["errors"][0]["field"], "credit_code");
    assert_eq!(p["errors"][0]["code"], "credit_code.org_code");
    assert!(
        p["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("组织机构代码无效"),
        "{p}"
    );
    // A wrong check character, for a program that reads English: the words
    // come from the locale, with the values of the check filled in.
    let good = tongban_domain::kernel::CreditCode::compose("11", "230102", "00099999").unwrap();
    let mut bad = body.clone();
    bad["credit_code"] = json!(format!(
        "{}{}",
        &good.as_str()[..17],
        if good.as_str().ends_with('0') {
            '1'
        } else {
            '0'
        }
    ));
    let r = admin
        .post(app.url("/api/v1/organizations"))
        .header("accept-language", "en")
        .json(&bad)
        .send()
        .await
        .unwrap();
    let p: Value = r.json().await.unwrap();
    let message = p["errors"][0]["message"].as_str().unwrap();
    assert!(
        message.starts_with("Check the credit code: its 18th character should be "),
        "{message}"
    );
    assert!(message.is_ascii(), "{message}");
    assert_eq!(p["errors"][0]["code"], "credit_code.check");

    let mut ok = body.clone();
    ok["credit_code"] = json!(good.as_str());
    let r = admin
        .post(app.url("/api/v1/organizations"))
        .json(&ok)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let created: Value = r.json().await.unwrap();
    assert_eq!(created["parent_id"], parent);
    let r = admin
        .post(app.url("/api/v1/organizations"))
        .json(&ok)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 409);
    let p: Value = r.json().await.unwrap();
    assert_eq!(p["reason"], "credit_code_taken", "{p}");
    assert_eq!(p["detail"], "统一社会信用代码已被使用。");
    let list: Vec<Value> = app
        .client()
        .get(app.url(&format!("/api/v1/organizations?within={parent}")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        list.iter()
            .any(|o| o["name_zh"] == "哈尔滨市道里区卫生健康局")
    );
    assert_eq!(
        app.client()
            .get(app.url("/api/v1/organizations?limit=0"))
            .send()
            .await
            .unwrap()
            .status(),
        422
    );
}

#[tokio::test]
async fn api_session_and_me() {
    let app = TestApp::spawn().await;
    let c = app.client();
    let r = c
        .post(app.url("/api/v1/session"))
        .json(&json!({"username": "clerk", "password": "bad-password"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let p: Value = r.json().await.unwrap();
    assert_eq!(p["detail"], "用户名或密码错误。");
    // Staff need their one-time code as well.
    let r = c
        .post(app.url("/api/v1/session"))
        .json(&json!({"username": "clerk", "password": "tongban-demo"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let p: Value = r.json().await.unwrap();
    assert_eq!(p["errors"][0]["field"], "totp");
    let r = c
        .post(app.url("/api/v1/session"))
        .json(&json!({"username": "clerk", "password": "tongban-demo", "totp": crate::helpers::demo_totp_now()}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let me: Value = c
        .get(app.url("/api/v1/me"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["username"], "clerk");
    assert_eq!(me["grants"][0]["role"], "window_clerk");
    assert_eq!(
        c.delete(app.url("/api/v1/session"))
            .send()
            .await
            .unwrap()
            .status(),
        204
    );
    assert_eq!(
        c.get(app.url("/api/v1/me")).send().await.unwrap().status(),
        401
    );
}

#[tokio::test]
async fn openapi_document_lists_every_api_route_and_the_docs_page_renders_it() {
    let app = TestApp::spawn().await;
    let doc: Value = app
        .client()
        .get(app.url("/api/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let paths = doc["paths"].as_object().unwrap();
    for p in [
        "/api/v1/divisions",
        "/api/v1/divisions/{code}",
        "/api/v1/organizations",
        "/api/v1/organizations/{id}",
        "/api/v1/me",
        "/api/v1/session",
        "/api/v1/checks/id-card",
        "/api/v1/checks/credit-code",
    ] {
        assert!(paths.contains_key(p), "OpenAPI lacks {p}");
    }
    assert!(doc["components"]["schemas"]["Problem"].is_object());
    // Every link a response offers (how a client, or schemathesis, goes
    // from a new application to its pages and from a submission to its
    // case) names an operation of the document and only its parameters.
    let mut operations = std::collections::BTreeMap::new();
    for item in paths.values() {
        for op in item.as_object().unwrap().values() {
            if let Some(id) = op["operationId"].as_str() {
                let params: Vec<String> = op["parameters"]
                    .as_array()
                    .map(|ps| {
                        ps.iter()
                            .map(|p| p["name"].as_str().unwrap().to_owned())
                            .collect()
                    })
                    .unwrap_or_default();
                operations.insert(id.to_owned(), params);
            }
        }
    }
    let mut links = 0;
    for item in paths.values() {
        for op in item.as_object().unwrap().values() {
            let Some(responses) = op["responses"].as_object() else {
                continue;
            };
            for r in responses.values() {
                let Some(ls) = r["links"].as_object() else {
                    continue;
                };
                for (name, l) in ls {
                    let target = l["operationId"].as_str().unwrap();
                    let params = operations
                        .get(target)
                        .unwrap_or_else(|| panic!("link {name} names no operation {target}"));
                    for p in l["parameters"].as_object().unwrap().keys() {
                        assert!(
                            params.contains(p),
                            "link {name}: {target} has no parameter {p}"
                        );
                    }
                    links += 1;
                }
            }
        }
    }
    assert!(links >= 7, "{links} links");
    let (status, html) = app.get_text(&app.client(), "/api/docs").await;
    assert_eq!(status, 200);
    assert!(html.contains("/api/v1/checks/id-card") && html.contains("POST"));
}

#[tokio::test]
async fn the_openapi_document_says_what_the_code_refuses() {
    // A schema-driven fuzzer takes what the document allows as valid: each
    // value the code refuses is outside the schema too.
    let app = TestApp::spawn().await;
    let c = app.client();
    let doc: Value = c
        .get(app.url("/api/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let schemas = &doc["components"]["schemas"];
    let session = &schemas["SessionRequest"]["properties"];
    assert_eq!(session["username"]["minLength"], 1, "{session}");
    assert_eq!(session["username"]["pattern"], "\\S", "{session}");
    assert_eq!(session["password"]["minLength"], 1, "{session}");
    let windows = &schemas["WindowsDto"]["properties"]["departments"];
    assert_eq!(windows["items"]["minimum"], 1, "{windows}");
    for (schema, member) in [
        ("NewOrgDto", "parent_id"),
        ("ReuseFile", "file_id"),
        ("RevisionRef", "revision"),
        ("SubmitBody", "revision"),
        ("DraftPatch", "revision"),
        ("ActionBody", "revision"),
    ] {
        assert_eq!(
            schemas[schema]["properties"][member]["minimum"], 1,
            "{schema}.{member}"
        );
    }
    assert_eq!(
        schemas["ActionBody"]["properties"]["action"]["pattern"],
        "^(request_correction|accept|reject)$"
    );
    // And the code does refuse them.
    for body in [
        json!({"username": "", "password": "x"}),
        json!({"username": " ", "password": "x"}),
        json!({"username": "citizen", "password": ""}),
    ] {
        let r = c
            .post(app.url("/api/v1/session"))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 422, "{body}");
    }
    let admin = app.admin().await;
    let centre = app.org_id("哈尔滨市政务服务中心").await;
    let r = admin
        .put(app.url(&format!("/api/v1/organizations/{centre}/windows")))
        .json(&json!({"departments": [-1]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
}
