//! An authority that has ended ends the acting person's power at once: a
//! revoked mandate, and a community agent's consent the person withdraws.

use reqwest::StatusCode;
use serde_json::json;

use super::*;

#[tokio::test]
async fn a_revoked_mandate_ends_the_agents_power_over_its_drafts_and_cases_at_once() {
    let app = TestApp::spawn().await;
    let citizen = app.citizen().await;
    let enterprise = app.signed_in("enterprise").await;
    let item = city_item(&app, "食品经营许可").await;
    let cc = enterprise_code(&app).await;
    let draft = start(&app, &citizen, json!({"item": item, "on_behalf_of": cc})).await;
    let other = start(&app, &citizen, json!({"item": item, "on_behalf_of": cc})).await;
    // The other one as if submitted: a case the agent follows.
    let submitted = other.clone();
    app.db
        .write(tongban_core::tx!(c => {
            tongban_core::platform::db::query("UPDATE applications SET state = 'submitted', case_number = 'HARDENING-1' WHERE public_id = $1")
                .bind(&submitted)
                .execute(c)
                .await?;
            Ok::<_, tongban_core::DbError>(())
        }))
        .await
        .unwrap();
    let url = app.url(&format!("/api/v1/applications/{draft}"));
    let case = app.url("/api/v1/cases/HARDENING-1");
    assert_eq!(send(citizen.get(&url)).await.0, StatusCode::OK);
    assert_eq!(send(citizen.get(&case)).await.0, StatusCode::OK);

    // The enterprise revokes its 经办人 on its account page.
    let (_, page) = app.get_text(&enterprise, "/account").await;
    let at = page.find(r#"id="revoke-"#).unwrap() + r#"id="revoke-"#.len();
    let mandate: String = page[at..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    let r = enterprise
        .post(app.url("/account/agents"))
        .form(&[("action", "revoke"), ("id", mandate.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);

    // Every read and write of the ex-agent: 403, saying since when.
    let (status, p) = send(citizen.get(&url)).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{p}");
    assert_eq!(first_code(&p), "application.authority_ended");
    assert!(p["detail"].as_str().unwrap().contains("已终止（自"), "{p}");
    let (status, p) = send(
        citizen
            .patch(&url)
            .json(&json!({"revision": 1, "fields": {"area": 80}})),
    )
    .await;
    assert_eq!(
        (status, first_code(&p)),
        (StatusCode::FORBIDDEN, "application.authority_ended".into())
    );
    let (status, p) = upload(&app, &citizen, &draft, "M001").await;
    assert_eq!(
        (status, first_code(&p)),
        (StatusCode::FORBIDDEN, "application.authority_ended".into())
    );
    let (status, _) = send(
        citizen
            .post(format!("{url}/submit"))
            .json(&json!({"revision": 1, "declaration": DECLARED})),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(send(citizen.get(&case)).await.0, StatusCode::FORBIDDEN);
    // Nor does the list show them, answers and all.
    let (_, list) = send(citizen.get(app.url("/api/v1/applications"))).await;
    assert!(
        list.as_array()
            .unwrap()
            .iter()
            .all(|a| a["id"] != draft.as_str() && a["id"] != other.as_str()),
        "{list}"
    );
    let (status, page) = app
        .get_text(&citizen, &format!("/applications/{draft}"))
        .await;
    assert_eq!(status, 403);
    assert!(page.contains("办理授权"), "{page}");
    // Nothing was written; the enterprise keeps both.
    let (status, a) = send(enterprise.get(&url)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(a["revision"], 1);
    assert_eq!(send(enterprise.get(&case)).await.0, StatusCode::OK);
}

/// The code last sent to a phone, from the development outbox (the
/// delivery job runs in the background: waited for).
async fn code_sent_to(app: &TestApp, phone: &str) -> String {
    for _ in 0..100 {
        let body: Option<String> = tongban_core::platform::db::query(
            "SELECT body FROM dev_messages WHERE recipient = $1 AND body LIKE '%请将确认码%' ORDER BY id DESC LIMIT 1",
        )
        .bind(phone)
        .fetch_optional(&app.db)
        .await
        .unwrap()
        .map(|r| r.try_get(0).unwrap());
        if let Some(b) = body {
            let at = b.find("确认码 ").unwrap_or_else(|| panic!("{b}")) + "确认码 ".len();
            return b[at..at + 6].to_owned();
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("no code sent to {phone}");
}

#[tokio::test]
async fn a_community_agent_learns_nothing_until_the_person_confirms_and_the_person_withdraws_at_will()
 {
    let app = TestApp::spawn().await;
    let citizen = app.citizen().await;
    let agent = app.signed_in("agent").await;
    let item = city_item(&app, "居民身份证补领").await;
    let ask = |name: &str, number: &str| {
        send(agent.post(app.url("/api/v1/consents")).json(
            &json!({"item": item, "for_person": number, "person_name": name, "consent": true}),
        ))
    };
    // Straight to a draft: refused the same way for any number.
    for number in [CITIZEN_ID, "11010519491231002X"] {
        let (status, p) = send(
            agent
                .post(app.url("/api/v1/applications"))
                .json(&json!({"item": item, "for_person": number, "consent": true})),
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(first_code(&p), "application.consent_needed");
    }
    // Everything missing at once.
    let (status, p) = send(
        agent
            .post(app.url("/api/v1/consents"))
            .json(&json!({"item": item, "for_person": "123", "person_name": " "})),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let mut got: Vec<String> = codes(&p).into_iter().map(|(_, c)| c).collect();
    got.sort();
    assert_eq!(got.len(), 3, "{p}");
    // A wrong name, an unregistered number and the real person: the same
    // answer, and nothing of the person shown.
    let (s1, wrong) = ask("张晓", CITIZEN_ID).await;
    let (s2, unknown) = ask("王德福", "11010519491231002X").await;
    let (s3, real) = ask("张晓明", CITIZEN_ID).await;
    assert_eq!(
        (s1, s2, s3),
        (
            StatusCode::ACCEPTED,
            StatusCode::ACCEPTED,
            StatusCode::ACCEPTED
        )
    );
    for body in [&wrong, &unknown, &real] {
        assert_eq!(body.as_object().unwrap().keys().collect::<Vec<_>>(), ["id"]);
    }
    let (_, page_unknown) = app
        .get_text(
            &agent,
            &format!("/apply/consents/{}", unknown["id"].as_str().unwrap()),
        )
        .await;
    let (_, page_real) = app
        .get_text(
            &agent,
            &format!("/apply/consents/{}", real["id"].as_str().unwrap()),
        )
        .await;
    assert!(
        !page_real.contains("张晓明") && !page_real.contains("138"),
        "{page_real}"
    );
    assert_eq!(
        page_unknown
            .replace(unknown["id"].as_str().unwrap(), "X")
            .len(),
        page_real.replace(real["id"].as_str().unwrap(), "X").len(),
        "the pages differ"
    );
    // Any code for a request that matched nobody is wrong.
    let begin = |id: &str, code: Option<&str>| {
        send(
            agent
                .post(app.url(&format!("/api/v1/consents/{id}/begin")))
                .json(&json!({"code": code})),
        )
    };
    let (status, p) = begin(unknown["id"].as_str().unwrap(), Some("000000")).await;
    assert_eq!(
        (status, first_code(&p)),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            "application.consent_code".into()
        )
    );
    // The person's code starts the draft, prefilled now that they agreed.
    let code = code_sent_to(&app, "13800000001").await;
    let real_id = real["id"].as_str().unwrap();
    let (status, _) = begin(real_id, Some("999999")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, draft) = begin(real_id, Some(&code)).await;
    assert_eq!(status, StatusCode::CREATED, "{draft}");
    let id = draft["id"].as_str().unwrap().to_owned();
    let url = app.url(&format!("/api/v1/applications/{id}"));
    let (_, a) = send(agent.get(&url)).await;
    assert_eq!(
        (a["authority"].as_str(), a["applicant"].as_str()),
        (Some("consent"), Some("张晓明"))
    );
    // The same request gives the same draft; the person was told of it.
    let (status, again) = begin(real_id, None).await;
    assert_eq!(
        (status, again["id"].as_str()),
        (StatusCode::CREATED, Some(id.as_str()))
    );
    let (_, inbox) = app.get_text(&citizen, "/inbox").await;
    assert!(
        inbox.contains("有代办员申请为您代办") && inbox.contains("有人为您开始了一份申请"),
        "{inbox}"
    );

    // A second request the person agrees to in Tongban, with no code.
    let (_, second) = ask("张晓明", CITIZEN_ID).await;
    let second_id = second["id"].as_str().unwrap();
    let (_, mine) = app.get_text(&citizen, "/applications/consents").await;
    assert!(
        mine.contains(&format!("id=\"confirm-{second_id}\"")),
        "{mine}"
    );
    let r = citizen
        .post(app.url(&format!("/applications/consents/{second_id}")))
        .form(&[("action", "confirm")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (status, other) = begin(second_id, None).await;
    assert_eq!(status, StatusCode::CREATED, "{other}");

    // Withdrawn: the agent's power over that application ends at once.
    let (status, _) = send(
        citizen
            .post(app.url(&format!("/api/v1/consents/{real_id}/answer")))
            .json(&json!({"answer": "withdraw"})),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, p) = send(agent.get(&url)).await;
    assert_eq!(
        (status, first_code(&p)),
        (StatusCode::FORBIDDEN, "application.authority_ended".into())
    );
    // The other one holds until the person ends it on the application.
    let other_url = app.url(&format!(
        "/api/v1/applications/{}",
        other["id"].as_str().unwrap()
    ));
    assert_eq!(send(agent.get(&other_url)).await.0, StatusCode::OK);
    let (_, page) = app
        .get_text(
            &citizen,
            &format!("/applications/{}", other["id"].as_str().unwrap()),
        )
        .await;
    assert!(page.contains("id=\"end-authority\""), "{page}");
    let r = citizen
        .post(app.url(&format!(
            "/applications/{}/authority/end",
            other["id"].as_str().unwrap()
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(send(agent.get(&other_url)).await.0, StatusCode::FORBIDDEN);
    let (_, inbox) = app.get_text(&agent, "/inbox").await;
    assert!(inbox.contains("代办授权已终止"), "{inbox}");
    // The applicant carries on; ending again changes nothing; nobody else
    // may end it; an own application has nothing to end.
    let end = |c: &reqwest::Client, id: &str| {
        c.post(app.url(&format!("/api/v1/applications/{id}/authority/end")))
            .send()
    };
    let oid = other["id"].as_str().unwrap();
    assert_eq!(
        end(&citizen, oid).await.unwrap().status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        end(&agent, oid).await.unwrap().status(),
        StatusCode::FORBIDDEN
    );
    let (status, _) = send(
        citizen
            .patch(&other_url)
            .json(&json!({"revision": 1, "fields": {"reason": "lost"}})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let own = start(&app, &citizen, json!({"item": item})).await;
    assert_eq!(
        end(&citizen, &own).await.unwrap().status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );
}
