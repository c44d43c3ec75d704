//! A person's contacts and notice preferences (联系方式与通知偏好): the
//! language messages are written in and the channels they come by besides
//! the inbox; a new email address or phone number proved by a code sent to
//! it; and [`tell`], how every capability sends a person a notice the way
//! they asked for.

use std::sync::LazyLock;

use crate::platform::db::Conn as AnyConnection;
use tongban_domain::identity::{email_normalized, phone_ok};
use tongban_domain::{FieldProblem, Lang};

use super::accounts::Principal;
use super::otp::{self, OtpError, Purpose};
use crate::platform::clock::{format_cst, now_ms};
use crate::platform::db::{Db, DbError};
use crate::platform::notify::{Channel, Outgoing, Templates, store};

/// Identity's notice templates (`notices.toml`).
pub static TEMPLATES: LazyLock<Templates> = LazyLock::new(|| {
    // Compiled in and parsed by a unit test: a broken file fails the build's tests.
    Templates::parse(include_str!("notices.toml")).unwrap_or_default()
});

/// Why a contact or preference change was refused.
#[derive(Debug, thiserror::Error)]
pub enum ContactError {
    /// The form has problems, all listed.
    #[error("联系方式或通知设置有误")]
    Invalid(Vec<FieldProblem>),
    /// Too many codes or test messages lately.
    #[error("发送过于频繁，请稍后再试")]
    TooMany {
        /// when sending is possible again
        until: i64,
    },
    /// Storage.
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<OtpError> for ContactError {
    fn from(e: OtpError) -> Self {
        match e {
            OtpError::TooMany { until } => Self::TooMany { until },
            OtpError::BadCode => Self::Invalid(vec![FieldProblem::new(
                "code",
                "wrong",
                "验证码不正确或已过期",
            )]),
            OtpError::Db(e) => Self::Db(e),
            other => Self::Db(DbError::Internal(other.to_string())),
        }
    }
}

/// A person's contacts and preferences.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Preferences {
    /// The language their messages are written in.
    pub lang: Lang,
    /// The channels they want notices on, besides the inbox.
    pub channels: Vec<Channel>,
    /// Mobile number of record.
    pub phone: Option<String>,
    /// Email address of record.
    pub email: Option<String>,
}

impl Preferences {
    /// The address of record on a channel.
    pub fn address(&self, channel: Channel) -> Option<&str> {
        match channel {
            Channel::Sms => self.phone.as_deref(),
            Channel::Email => self.email.as_deref(),
        }
        .filter(|a| !a.is_empty())
    }
}

fn channels_of(stored: &str) -> Vec<Channel> {
    stored.split(',').filter_map(Channel::parse).collect()
}

async fn read(c: &mut AnyConnection, account_id: i64) -> Result<Option<Preferences>, DbError> {
    let row = crate::platform::db::query(
        "SELECT lang, notify_channels, phone, email FROM accounts WHERE id = $1",
    )
    .bind(account_id)
    .fetch_optional(c)
    .await?;
    let Some(r) = row else { return Ok(None) };
    Ok(Some(Preferences {
        lang: Lang::from_tag(&r.try_get::<String, _>("lang")?).unwrap_or_default(),
        channels: channels_of(&r.try_get::<String, _>("notify_channels")?),
        phone: r.try_get("phone")?,
        email: r.try_get("email")?,
    }))
}

/// The signed-in person's contacts and preferences.
pub async fn preferences(db: &Db, actor: &Principal) -> Result<Preferences, DbError> {
    let id = actor.account.id;
    db.read(crate::tx!(c => { read(c, id).await }))
        .await?
        .ok_or_else(|| DbError::Internal("signed-in account without a row".into()))
}

/// Saves the language and channels a person chose. Every problem is listed
/// at once: an unknown language, an unknown channel, a channel with no
/// address of record.
pub async fn save_preferences(
    db: &Db,
    actor: &Principal,
    lang: &str,
    channels: &[String],
) -> Result<(), ContactError> {
    let now_prefs = preferences(db, actor).await?;
    let mut problems = Vec::new();
    let lang = Lang::from_tag(lang);
    if lang.is_none() {
        problems.push(FieldProblem::new(
            "lang",
            "invalid",
            "请选择简体中文或 English",
        ));
    }
    let mut chosen = Vec::new();
    for c in channels {
        match Channel::parse(c) {
            None => problems.push(FieldProblem::new("channels", "invalid", "未知的通知渠道")),
            Some(ch) if now_prefs.address(ch).is_none() => problems.push(
                FieldProblem::new("channels", "no_contact", "该渠道尚未登记联系方式")
                    .with("channel", ch.as_str()),
            ),
            Some(ch) if !chosen.contains(&ch) => chosen.push(ch),
            Some(_) => {}
        }
    }
    let (Some(lang), true) = (lang, problems.is_empty()) else {
        return Err(ContactError::Invalid(problems));
    };
    let stored = chosen
        .iter()
        .map(|c| c.as_str())
        .collect::<Vec<_>>()
        .join(",");
    let id = actor.account.id;
    db.write(crate::tx!(c => {
        crate::platform::db::query("UPDATE accounts SET lang = $1, notify_channels = $2, updated_at = $3 WHERE id = $4")
            .bind(lang.tag())
            .bind(&stored)
            .bind(now_ms())
            .bind(id)
            .execute(c)
            .await?;
        Ok::<_, DbError>(())
    }))
    .await?;
    Ok(())
}

/// Starts a change of email address or phone number: checks the new
/// address and sends a code to it (not to the old one), which
/// [`confirm_change`] takes back. Returns the address as recorded
/// (an email's domain in lower case).
pub async fn start_change(
    db: &Db,
    actor: &Principal,
    channel: Channel,
    address: &str,
) -> Result<String, ContactError> {
    let address = match channel {
        Channel::Email => email_normalized(address),
        Channel::Sms => Some(address.trim().to_owned()).filter(|p| phone_ok(p)),
    };
    let field = field_of(channel);
    let Some(address) = address else {
        return Err(ContactError::Invalid(vec![FieldProblem::new(
            field,
            "invalid",
            "格式不正确",
        )]));
    };
    if preferences(db, actor).await?.address(channel) == Some(address.as_str()) {
        return Err(ContactError::Invalid(vec![FieldProblem::new(
            field,
            "unchanged",
            "与现有联系方式相同",
        )]));
    }
    otp::send(db, actor.account.id, &address, channel, Purpose::Contact).await?;
    Ok(address)
}

fn field_of(channel: Channel) -> &'static str {
    match channel {
        Channel::Email => "email",
        Channel::Sms => "phone",
    }
}

/// Completes a change with the code sent to the new address: the address
/// is recorded, and the old one (with the inbox) is told, so that a change
/// made by someone else does not go unnoticed. Returns the new address.
pub async fn confirm_change(
    db: &Db,
    actor: &Principal,
    channel: Channel,
    code: &str,
) -> Result<String, ContactError> {
    let account_id = actor.account.id;
    let target = otp::verify(db, account_id, Purpose::Contact, code).await?;
    // A code sent for the other channel's address does not change this one.
    let address = target
        .filter(|t| t.contains('@') == (channel == Channel::Email))
        .ok_or_else(|| {
            ContactError::Invalid(vec![FieldProblem::new(
                "code",
                "wrong",
                "验证码不正确或已过期",
            )])
        })?;
    let username = actor.account.username.clone();
    let new = address.clone();
    db.write(crate::tx!(c => {
        let before = read(c, account_id).await?;
        let old = before.as_ref().and_then(|p| p.address(channel)).map(str::to_owned);
        let column = match channel { Channel::Email => "email", Channel::Sms => "phone" };
        crate::platform::db::query(format!(
            "UPDATE accounts SET {column} = $1, updated_at = $2 WHERE id = $3"
        ))
        .bind(&new)
        .bind(now_ms())
        .bind(account_id)
        .execute(&mut *c)
        .await?;
        let key = match channel { Channel::Email => "email_changed", Channel::Sms => "phone_changed" };
        let n = Notice {
            topic: format!("identity.{key}"),
            dedupe_key: format!("identity.{key}:{account_id}:{}", now_ms()),
            templates: &TEMPLATES,
            template: key,
            values: &[("username", &username), ("address", &otp::mask(&new))],
            link: None,
        };
        let to = old.map(|o| vec![(channel, o)]).unwrap_or_default();
        tell_at(c, account_id, &n, to, false).await?;
        Ok::<_, DbError>(())
    }))
    .await?;
    db.jobs_queued();
    Ok(address)
}

/// Sends the person a test notice on every channel they chose, and to the
/// inbox; at most five an hour.
pub async fn send_test(db: &Db, actor: &Principal) -> Result<(), ContactError> {
    let account_id = actor.account.id;
    otp::throttled(db, account_id).await?;
    db.write(crate::tx!(c => {
        let now = now_ms();
        let time = format_cst(now);
        let n = Notice {
            topic: "identity.test".into(),
            dedupe_key: format!("identity.test:{account_id}:{now}"),
            templates: &TEMPLATES,
            template: "test",
            values: &[("time", &time)],
            link: None,
        };
        tell(c, account_id, &n).await?;
        Ok::<_, DbError>(())
    }))
    .await?;
    db.jobs_queued();
    Ok(())
}

/// Tells the phone of record of an existing account (and its inbox) that
/// someone tried to register with its ID number; counted against the
/// account's hourly limit of codes.
pub async fn remind_existing(
    db: &Db,
    account_id: i64,
    phone: &str,
    username: &str,
) -> Result<(), OtpError> {
    otp::throttled(db, account_id).await?;
    let (phone, username) = (phone.to_owned(), username.to_owned());
    db.write(crate::tx!(c => {
        let n = Notice {
            topic: "identity.account_exists".into(),
            dedupe_key: format!("identity.account_exists:{account_id}:{}", now_ms()),
            templates: &TEMPLATES,
            template: "account_exists",
            values: &[("username", &username)],
            link: None,
        };
        tell_at(c, account_id, &n, vec![(Channel::Sms, phone)], false).await?;
        Ok::<_, DbError>(())
    }))
    .await?;
    db.jobs_queued();
    Ok(())
}

/// A notice a capability sends a person.
#[derive(Debug)]
pub struct Notice<'a> {
    /// What it is about, such as `applications.accepted`.
    pub topic: String,
    /// Unique per message (the event's id in it), so a retried event
    /// queues nothing twice.
    pub dedupe_key: String,
    /// The capability's templates.
    pub templates: &'a Templates,
    /// The template's key.
    pub template: &'a str,
    /// The values it names.
    pub values: &'a [(&'a str, &'a str)],
    /// The page it is about (a local path such as the case's), when there
    /// is one: the inbox links to it.
    pub link: Option<String>,
}

/// Queues a notice to a person in the caller's transaction: into their
/// inbox, and on every channel they chose that has an address of record,
/// in their language. `None` when the dedupe key was seen before. The
/// caller rings `Db::jobs_queued` after the commit.
pub async fn tell(
    c: &mut AnyConnection,
    account_id: i64,
    n: &Notice<'_>,
) -> Result<Option<i64>, DbError> {
    let Some(p) = read(c, account_id).await? else {
        return Ok(None);
    };
    let to = p
        .channels
        .iter()
        .filter_map(|ch| p.address(*ch).map(|a| (*ch, a.to_owned())))
        .collect();
    queue(c, account_id, n, p.lang, to, false).await
}

/// Queues a notice to given addresses in the person's language: a secret
/// (`sensitive`, a code) stays out of the inbox and its text is erased once
/// sent; anything else is also shown in the inbox.
pub async fn tell_at(
    c: &mut AnyConnection,
    account_id: i64,
    n: &Notice<'_>,
    to: Vec<(Channel, String)>,
    sensitive: bool,
) -> Result<Option<i64>, DbError> {
    let lang = read(c, account_id)
        .await?
        .map(|p| p.lang)
        .unwrap_or_default();
    queue(c, account_id, n, lang, to, sensitive).await
}

async fn queue(
    c: &mut AnyConnection,
    account_id: i64,
    n: &Notice<'_>,
    lang: Lang,
    to: Vec<(Channel, String)>,
    sensitive: bool,
) -> Result<Option<i64>, DbError> {
    let words = n
        .templates
        .render(n.template, lang, n.values)
        .ok_or_else(|| DbError::Internal(format!("no notice template {}", n.template)))?;
    // A secret (a code) is kept in one language only, and erased once sent.
    let alt_words = if sensitive {
        None
    } else {
        n.templates.render(n.template, lang.other(), n.values)
    };
    let m = Outgoing {
        account_id: Some(account_id),
        topic: n.topic.clone(),
        dedupe_key: n.dedupe_key.clone(),
        lang,
        words,
        alt_words,
        link: n.link.clone(),
        inbox: !sensitive,
        sensitive,
        to,
    };
    store::queue(c, &m, now_ms()).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identity_templates_parse_and_name_what_their_callers_fill() {
        let t = Templates::parse(include_str!("notices.toml")).expect("notices.toml");
        for purpose in [Purpose::Reset, Purpose::Register, Purpose::Contact] {
            let names = t
                .names(&format!("code_{}", purpose.as_str()))
                .expect("code template");
            assert!(names.contains("code"), "{names:?}");
            assert!(
                names.iter().all(|n| n == "code" || n == "username"),
                "{names:?}"
            );
        }
        for (key, fills) in [
            ("account_exists", vec!["username"]),
            ("email_changed", vec!["address", "username"]),
            ("phone_changed", vec!["address", "username"]),
            ("test", vec!["time"]),
        ] {
            let names: Vec<String> = t.names(key).expect(key).into_iter().collect();
            assert_eq!(names, fills, "{key}");
        }
        let en = t
            .render("test", Lang::En, &[("time", "2026-11-30 10:00")])
            .unwrap();
        assert!(en.body.contains("2026-11-30 10:00"));
        assert!(
            !en.body
                .chars()
                .any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
        );
    }
}
