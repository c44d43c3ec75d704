//! Sign-in, sessions, lockout, password change and staff administration.

mod accounts;
mod notices;
mod passwords;
mod sign_in;

use tongban_domain::identity::totp;

use crate::helpers::{TestApp, demo_totp_now};

/// The development outbox once it holds a message containing `needle`
/// (codes are delivered in the background, so the page is polled).
pub(super) async fn outbox_with(app: &TestApp, needle: &str) -> String {
    for _ in 0..100 {
        let (status, page) = app.get_text(&app.client(), "/dev/messages").await;
        assert_eq!(status, 200);
        if page.contains(needle) {
            return page;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("no message containing {needle:?} arrived in the outbox");
}

/// The newest one-time code in the development outbox.
pub(super) async fn code_from_outbox(app: &TestApp) -> String {
    let page = outbox_with(app, "验证码是 ").await;
    let at = page.find("验证码是 ").expect("a code message") + "验证码是 ".len();
    page[at..at + 6].to_owned()
}

/// The text of a single-part message (base64 or quoted-printable or plain).
pub(super) fn decode_mail_body(mail: &str) -> String {
    use base64::Engine;
    let (head, body) = mail
        .split_once("\n\n")
        .or_else(|| mail.split_once("\r\n\r\n"))
        .unwrap();
    let head = head.to_ascii_lowercase();
    if head.contains("content-transfer-encoding: base64") {
        let joined: String = body.split_whitespace().collect();
        String::from_utf8(
            base64::engine::general_purpose::STANDARD
                .decode(joined)
                .unwrap(),
        )
        .unwrap()
    } else if head.contains("quoted-printable") {
        let mut out = Vec::new();
        let raw = body.replace("=\r\n", "").replace("=\n", "");
        let b = raw.as_bytes();
        let mut i = 0;
        while i < b.len() {
            if b[i] == b'=' && i + 2 < b.len() {
                out.push(
                    u8::from_str_radix(std::str::from_utf8(&b[i + 1..i + 3]).unwrap(), 16).unwrap(),
                );
                i += 3;
            } else {
                out.push(b[i]);
                i += 1;
            }
        }
        String::from_utf8(out).unwrap()
    } else {
        body.to_owned()
    }
}
