//! Notices: a person's language and channels, the inbox, a test message by
//! a real SMTP server, a channel that fails, contact changes, and codes that
//! stay out of the inbox.

use tongban_core::platform::notify::{Channel, Outgoing, Words, store};
use tongban_domain::Lang;

use super::{decode_mail_body, outbox_with};
use crate::helpers::{SmtpServer, TestApp};

/// The status of a notice's deliveries, by channel, once none is queued
/// any more without an error (polled: delivery runs in the background).
async fn deliveries_settled(app: &TestApp, topic: &str) -> Vec<(String, String, i64)> {
    for _ in 0..200 {
        let rows = tongban_core::platform::db::query(
            "SELECT d.channel, d.status, d.attempts, d.last_error FROM notice_deliveries d \
             JOIN notices n ON n.id = d.notice_id WHERE n.topic = $1 ORDER BY d.channel",
        )
        .bind(topic)
        .fetch_all(&app.db)
        .await
        .unwrap();
        let settled = rows.iter().all(|r| {
            r.try_get::<String, _>("status").unwrap() != "queued"
                || r.try_get::<Option<String>, _>("last_error")
                    .unwrap()
                    .is_some()
        });
        if !rows.is_empty() && settled {
            return rows
                .iter()
                .map(|r| {
                    (
                        r.try_get("channel").unwrap(),
                        r.try_get("status").unwrap(),
                        r.try_get("attempts").unwrap(),
                    )
                })
                .collect();
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the deliveries of {topic} never settled");
}

#[tokio::test]
async fn a_person_chooses_english_and_email_and_gets_a_test_message_in_the_inbox_and_by_smtp() {
    let Some(mut smtp) = SmtpServer::start().await else {
        return;
    };
    let app = TestApp::spawn_configured(true, |cfg| smtp.configure(cfg)).await;
    let c = app.citizen().await;
    let (status, page) = app.get_text(&c, "/account/contacts").await;
    assert_eq!(status, 200);
    // Both contacts of record, masked; both channels chosen by default.
    assert!(
        page.contains("138****0001") && page.contains("ci***@demo.tongban.invalid"),
        "{page}"
    );
    let r = c
        .post(app.url("/account/contacts"))
        .form(&[("lang", "en"), ("channels", "email")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/account/contacts?done=saved");
    // The chosen language is also the browser's.
    assert!(
        r.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .contains("lang=en")
    );
    let (_, page) = app.get_text(&c, "/account/contacts?done=saved").await;
    assert!(page.contains("Settings saved."), "{page}");
    assert!(
        page.contains(r#"value="email" id="channel-email" checked"#),
        "{page}"
    );
    assert!(
        !page.contains(r#"value="sms" id="channel-sms" checked"#),
        "{page}"
    );

    let r = c
        .post(app.url("/account/contacts/test"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/account/contacts?done=test");
    // By email, in English, to the address of record.
    let mail = smtp.next_mail().await;
    assert!(mail.contains("citizen@demo.tongban.invalid"), "{mail}");
    let body = decode_mail_body(&mail);
    assert!(
        body.contains("This is the test message you asked for"),
        "{body}"
    );
    // Not by SMS: the person did not choose it.
    assert_eq!(
        deliveries_settled(&app, "identity.test").await,
        [("email".to_owned(), "sent".to_owned(), 1)]
    );
    let (_, outbox) = app.get_text(&app.client(), "/dev/messages").await;
    assert!(!outbox.contains("test message"), "{outbox}");

    // In the inbox, unread, counted in the header, with the email sent.
    let (status, page) = app.get_text(&c, "/inbox").await;
    assert_eq!(status, 200);
    // Without the SMS signature the subject starts with on a phone.
    assert!(page.contains("</span> Test message</h2>"), "{page}");
    assert!(!page.contains("[Tongban] Test message"), "{page}");
    assert!(
        page.contains(r#"aria-label="unread messages">1</span>"#),
        "{page}"
    );
    assert!(page.contains("1 messages, 1 unread."), "{page}");
    assert!(
        page.contains("Email ci***@demo.tongban.invalid：sent"),
        "{page}"
    );
    let id: i64 =
        tongban_core::platform::db::query("SELECT id FROM notices WHERE topic = 'identity.test'")
            .fetch_one(&app.db)
            .await
            .unwrap()
            .try_get(0)
            .unwrap();
    let r = c
        .post(app.url("/inbox/read"))
        .form(&[("id", id.to_string().as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let (_, page) = app.get_text(&c, "/inbox").await;
    assert!(page.contains("1 messages, 0 unread."), "{page}");
    assert!(!page.contains(r#"class="badge""#), "{page}");
    // Someone else's inbox does not show it, and they cannot mark it.
    let e = app.signed_in("enterprise").await;
    let (_, page) = app.get_text(&e, "/inbox").await;
    assert!(
        !page.contains("测试消息") && page.contains("id=\"inbox-empty\""),
        "{page}"
    );
}

#[tokio::test]
async fn a_channel_that_fails_keeps_the_message_and_does_not_hold_up_the_other() {
    // Mail goes to a port where nothing listens.
    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = dead.local_addr().unwrap().port();
    drop(dead);
    let app = TestApp::spawn_configured(true, |cfg| {
        cfg.mail.smtp_host = "127.0.0.1".into();
        cfg.mail.smtp_port = port;
        cfg.mail.smtp_tls = "none".into();
    })
    .await;
    let c = app.citizen().await;
    let r = c
        .post(app.url("/account/contacts/test"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    // The SMS went (to the development outbox); the email waits for a retry.
    let settled = deliveries_settled(&app, "identity.test").await;
    assert_eq!(settled[1], ("sms".to_owned(), "sent".to_owned(), 1));
    assert_eq!(
        (settled[0].0.as_str(), settled[0].1.as_str()),
        ("email", "queued")
    );
    let outbox = outbox_with(&app, "测试消息").await;
    assert!(outbox.contains("13800000001"), "{outbox}");
    let (_, page) = app.get_text(&c, "/inbox").await;
    assert!(
        page.contains("测试消息") && !page.contains("【通办】测试消息"),
        "{page}"
    );
    assert!(page.contains("短信 138****0001：已发送"), "{page}");
    assert!(page.contains("稍后自动重试"), "{page}");
    // The last attempt fails for good; the message stays in the inbox.
    let delivery: i64 = tongban_core::platform::db::query(
        "SELECT id FROM notice_deliveries WHERE channel = 'email'",
    )
    .fetch_one(&app.db)
    .await
    .unwrap()
    .try_get(0)
    .unwrap();
    let last = store::deliver(
        &app.db,
        app.state.notifier(),
        delivery,
        store::ATTEMPTS,
        store::ATTEMPTS,
    )
    .await;
    assert!(
        last.is_ok(),
        "a final failure is recorded, not retried: {last:?}"
    );
    let (_, page) = app.get_text(&c, "/inbox").await;
    assert!(page.contains("发送失败，消息仍保存在此"), "{page}");
    // Run again (a job claimed twice), a finished delivery sends nothing.
    store::deliver(&app.db, app.state.notifier(), delivery, 1, store::ATTEMPTS)
        .await
        .unwrap();
    let row = tongban_core::platform::db::query(
        "SELECT status, attempts FROM notice_deliveries WHERE id = $1",
    )
    .bind(delivery)
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(row.try_get::<String, _>("status").unwrap(), "failed");
    assert!(row.try_get::<i64, _>("attempts").unwrap() >= 2);
}

#[tokio::test]
async fn one_event_queued_twice_is_one_message() {
    let app = TestApp::spawn().await;
    let account: i64 =
        tongban_core::platform::db::query("SELECT id FROM accounts WHERE username = 'citizen'")
            .fetch_one(&app.db)
            .await
            .unwrap()
            .try_get(0)
            .unwrap();
    let m = Outgoing {
        account_id: Some(account),
        topic: "cases.accepted".into(),
        dedupe_key: "cases.accepted:case-17".into(),
        lang: Lang::ZhCn,
        words: Words {
            subject: "受理通知".into(),
            body: "您的申请已受理。".into(),
        },
        alt_words: None,
        link: None,
        inbox: true,
        sensitive: false,
        to: vec![(Channel::Sms, "13800000001".into())],
    };
    let mut ids = Vec::new();
    for _ in 0..2 {
        let m = m.clone();
        let id = app
            .db
            .write(tongban_core::tx!(c => {
                store::queue(c, &m, 1).await
            }))
            .await
            .unwrap();
        ids.push(id);
    }
    assert!(ids[0].is_some());
    assert_eq!(ids[1], None);
    app.db.jobs_queued();
    outbox_with(&app, "您的申请已受理").await;
    let count = |sql: &'static str| {
        let db = app.db.clone();
        async move {
            tongban_core::platform::db::query(sql)
                .fetch_one(&db)
                .await
                .unwrap()
                .try_get::<i64, _>(0)
                .unwrap()
        }
    };
    assert_eq!(
        count("SELECT COUNT(*) FROM notices WHERE topic = 'cases.accepted'").await,
        1
    );
    assert_eq!(count("SELECT COUNT(*) FROM notice_deliveries").await, 1);
    assert_eq!(
        count("SELECT COUNT(*) FROM jobs WHERE kind = 'notify.deliver'").await,
        1
    );
    assert_eq!(
        count("SELECT COUNT(*) FROM dev_messages WHERE body LIKE '%已受理%'").await,
        1
    );
}

#[tokio::test]
async fn preferences_list_every_problem_at_once() {
    let app = TestApp::spawn().await;
    // The clerk has neither phone nor email of record.
    let c = app.clerk().await;
    let r = c
        .post(app.url("/account/contacts"))
        .form(&[("lang", "fr"), ("channels", "email"), ("channels", "fax")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let page = r.text().await.unwrap();
    assert!(page.contains("请选择简体中文或 English。"), "{page}");
    assert!(page.contains("所选渠道尚未登记联系方式"), "{page}");
    assert!(page.contains("未知的接收渠道。"), "{page}");
    let lang: String =
        tongban_core::platform::db::query("SELECT lang FROM accounts WHERE username = 'clerk'")
            .fetch_one(&app.db)
            .await
            .unwrap()
            .try_get(0)
            .unwrap();
    assert_eq!(lang, "zh-CN");
}

#[tokio::test]
async fn a_new_email_address_is_recorded_only_with_the_code_sent_to_it_and_the_old_one_is_told() {
    let app = TestApp::spawn().await;
    let c = app.citizen().await;
    for (address, status, says) in [
        ("not-an-address", 422, "电子邮箱格式不正确。"),
        (
            "citizen@demo.tongban.invalid",
            422,
            "这已经是您登记的电子邮箱。",
        ),
        (
            "zhang.san@Example.COM",
            200,
            "验证码已发送至 zh***@example.com",
        ),
    ] {
        let r = c
            .post(app.url("/account/contacts/change"))
            .form(&[("channel", "email"), ("address", address)])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), status, "{address}");
        let page = r.text().await.unwrap();
        assert!(page.contains(says), "{address}: {page}");
    }
    // The code went to the new address only, and is not in the inbox.
    let outbox = outbox_with(&app, "zhang.san@example.com").await;
    let at = outbox.find("验证码是 ").expect("a code") + "验证码是 ".len();
    let code = outbox[at..at + 6].to_owned();
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let r = c
        .post(app.url("/account/contacts/confirm"))
        .form(&[("channel", "email"), ("code", wrong)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    // The code proves an email address: it does not change the phone.
    let r = c
        .post(app.url("/account/contacts/confirm"))
        .form(&[("channel", "sms"), ("code", code.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let (phone, email): (String, String) = {
        let r = tongban_core::platform::db::query(
            "SELECT phone, email FROM accounts WHERE username = 'citizen'",
        )
        .fetch_one(&app.db)
        .await
        .unwrap();
        (r.try_get("phone").unwrap(), r.try_get("email").unwrap())
    };
    assert_eq!(
        (phone.as_str(), email.as_str()),
        ("13800000001", "citizen@demo.tongban.invalid")
    );
    // Asked again (the sms try spent that code), then confirmed.
    let r = c
        .post(app.url("/account/contacts/change"))
        .form(&[("channel", "email"), ("address", "zhang.san@example.com")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let code = loop {
        let row = tongban_core::platform::db::query(
            "SELECT COUNT(*) FROM dev_messages WHERE recipient = 'zhang.san@example.com'",
        )
        .fetch_one(&app.db)
        .await
        .unwrap();
        if row.try_get::<i64, _>(0).unwrap() == 2 {
            let (_, outbox) = app.get_text(&app.client(), "/dev/messages").await;
            let at = outbox.find("验证码是 ").unwrap() + "验证码是 ".len();
            break outbox[at..at + 6].to_owned();
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    let r = c
        .post(app.url("/account/contacts/confirm"))
        .form(&[("channel", "email"), ("code", code.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/account/contacts?done=email");
    let email: String =
        tongban_core::platform::db::query("SELECT email FROM accounts WHERE username = 'citizen'")
            .fetch_one(&app.db)
            .await
            .unwrap()
            .try_get(0)
            .unwrap();
    assert_eq!(email, "zhang.san@example.com");
    // The old address hears of it, and so does the inbox; no code is there.
    let outbox = outbox_with(&app, "电子邮箱已变更为").await;
    assert!(outbox.contains("citizen@demo.tongban.invalid"), "{outbox}");
    let (_, page) = app.get_text(&c, "/inbox").await;
    assert!(
        page.contains("联系方式已变更") && !page.contains("验证码"),
        "{page}"
    );
    // Codes are secrets: their text is erased once sent.
    let bodies: Vec<String> = tongban_core::platform::db::query(
        "SELECT body FROM notices WHERE topic = 'identity.code.contact'",
    )
    .fetch_all(&app.db)
    .await
    .unwrap()
    .iter()
    .map(|r| r.try_get(0).unwrap())
    .collect();
    assert_eq!(bodies, ["", ""]);
    // Nor kept in the other language.
    let other: i64 = tongban_core::platform::db::query_scalar(
        "SELECT COUNT(*) FROM notices WHERE topic = 'identity.code.contact' AND (alt_body IS NOT NULL OR alt_subject IS NOT NULL)",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(other, 0);
}
