//! Messages to people (one-time codes, notices): the transport. Each
//! capability decides what to say (its [`Templates`]) and to whom; the
//! platform keeps every message ([`store`]: queued in the caller's
//! transaction, shown in the person's inbox, delivered by jobs with
//! retries) and sends it through pluggable senders: email over SMTP, SMS
//! through a gateway interface, and a development outbox that keeps what
//! would have been sent (shown in demo mode) when neither is configured.

pub mod store;
pub mod templates;

pub use store::{Delivery, InboxNotice, Outgoing};
pub use templates::{Templates, Words};

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use crate::platform::db::Conn as AnyConnection;
use lettre::message::Mailbox;
use lettre::message::header::ContentType;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

use crate::platform::clock::{Millis, now_ms};
use crate::platform::config::MailConfig;
use crate::platform::db::{Db, DbError};

/// How a message travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    /// Email.
    Email,
    /// SMS.
    Sms,
}

impl Channel {
    /// Stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Email => "email",
            Channel::Sms => "sms",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "email" => Some(Channel::Email),
            "sms" => Some(Channel::Sms),
            _ => None,
        }
    }
}

/// A message to one person.
#[derive(Debug, Clone)]
pub struct Message {
    /// Channel.
    pub channel: Channel,
    /// Address or phone number.
    pub to: String,
    /// Subject (email).
    pub subject: String,
    /// Text.
    pub body: String,
}

/// Why a message was not sent.
#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    /// The address is malformed.
    #[error("收件地址无效：{0}")]
    Address(String),
    /// The server refused or could not be reached.
    #[error("发送失败：{0}")]
    Send(String),
    /// Storage (development outbox).
    #[error(transparent)]
    Db(#[from] DbError),
}

/// A future a sender returns.
pub type SendFuture<'a> = Pin<Box<dyn Future<Output = Result<(), NotifyError>> + Send + 'a>>;

/// An SMS gateway: implement it for the operator the city contracts with.
pub trait SmsGateway: Send + Sync {
    /// Sends `body` to `phone`.
    fn send<'a>(&'a self, phone: &'a str, body: &'a str) -> SendFuture<'a>;
}

/// The development outbox.
#[derive(Debug, Clone)]
pub struct DevOutbox {
    db: Db,
}

impl DevOutbox {
    /// An outbox in this database.
    pub fn new(db: Db) -> Self {
        Self { db }
    }

    async fn keep(&self, m: &Message) -> Result<(), NotifyError> {
        let m = m.clone();
        let outbox = self.clone();
        self.db
            .write(crate::tx!(c => { outbox.keep_in(c, &m).await }))
            .await?;
        Ok(())
    }

    /// Keeps a message inside the caller's transaction.
    pub async fn keep_in(&self, c: &mut AnyConnection, m: &Message) -> Result<(), DbError> {
        crate::platform::db::query(
            "INSERT INTO dev_messages (channel, recipient, subject, body, created_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(m.channel.as_str())
        .bind(&m.to)
        .bind(&m.subject)
        .bind(&m.body)
        .bind(now_ms())
        .execute(c)
        .await?;
        Ok(())
    }
}

impl SmsGateway for DevOutbox {
    fn send<'a>(&'a self, phone: &'a str, body: &'a str) -> SendFuture<'a> {
        Box::pin(async move {
            self.keep(&Message {
                channel: Channel::Sms,
                to: phone.to_owned(),
                subject: String::new(),
                body: body.to_owned(),
            })
            .await
        })
    }
}

/// A message kept in the development outbox.
#[derive(Debug, Clone)]
pub struct DevMessage {
    /// Channel.
    pub channel: String,
    /// Recipient.
    pub to: String,
    /// Subject.
    pub subject: String,
    /// Text.
    pub body: String,
    /// When.
    pub at: Millis,
}

/// The newest messages of the development outbox.
pub async fn dev_messages(db: &Db, limit: i64) -> Result<Vec<DevMessage>, DbError> {
    let rows = crate::platform::db::query(
        "SELECT channel, recipient, subject, body, created_at FROM dev_messages ORDER BY id DESC LIMIT $1",
    )
    .bind(limit)
    .fetch_all(&db)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(DevMessage {
                channel: r.try_get("channel")?,
                to: r.try_get("recipient")?,
                subject: r.try_get("subject")?,
                body: r.try_get("body")?,
                at: r.try_get("created_at")?,
            })
        })
        .collect()
}

enum Email {
    Smtp(Box<AsyncSmtpTransport<Tokio1Executor>>, Mailbox),
    Outbox(DevOutbox),
}

/// Sends messages by the configured means.
#[derive(Clone)]
pub struct Notifier {
    email: Arc<Email>,
    sms: Arc<dyn SmsGateway>,
    /// Set while SMS goes to the development outbox.
    sms_outbox: Option<DevOutbox>,
}

impl std::fmt::Debug for Notifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = match *self.email {
            Email::Smtp(..) => "smtp",
            Email::Outbox(_) => "outbox",
        };
        f.debug_struct("Notifier")
            .field("email", &kind)
            .finish_non_exhaustive()
    }
}

impl Notifier {
    /// The senders the configuration names; the development outbox for what
    /// it leaves unset. SMS always goes to the outbox unless a gateway is
    /// given with [`Notifier::with_sms`].
    pub fn from_config(cfg: &MailConfig, db: &Db) -> Result<Self, NotifyError> {
        let email = if cfg.smtp_host.is_empty() {
            Email::Outbox(DevOutbox::new(db.clone()))
        } else {
            let from: Mailbox = cfg
                .from
                .parse()
                .map_err(|_| NotifyError::Address(cfg.from.clone()))?;
            let tls = |host: &str| {
                TlsParameters::new(host.to_owned()).map_err(|e| NotifyError::Send(e.to_string()))
            };
            let mut b = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&cfg.smtp_host)
                .port(cfg.smtp_port)
                .timeout(Some(Duration::from_secs(10)));
            b = match cfg.smtp_tls.as_str() {
                "tls" => b.tls(Tls::Wrapper(tls(&cfg.smtp_host)?)),
                "starttls" => b.tls(Tls::Required(tls(&cfg.smtp_host)?)),
                _ => b.tls(Tls::None),
            };
            if !cfg.smtp_username.is_empty() {
                b = b.credentials(Credentials::new(
                    cfg.smtp_username.clone(),
                    cfg.smtp_password.clone(),
                ));
            }
            Email::Smtp(Box::new(b.build()), from)
        };
        Ok(Self {
            email: Arc::new(email),
            sms: Arc::new(DevOutbox::new(db.clone())),
            sms_outbox: Some(DevOutbox::new(db.clone())),
        })
    }

    /// Replaces the SMS gateway.
    pub fn with_sms(mut self, gateway: Arc<dyn SmsGateway>) -> Self {
        self.sms = gateway;
        self.sms_outbox = None;
        self
    }

    /// The development outbox, when it is where `channel` goes.
    pub fn kept_here(&self, channel: Channel) -> Option<&DevOutbox> {
        match (channel, &*self.email) {
            (Channel::Sms, _) => self.sms_outbox.as_ref(),
            (Channel::Email, Email::Outbox(o)) => Some(o),
            (Channel::Email, Email::Smtp(..)) => None,
        }
    }

    /// Sends one message.
    pub async fn send(&self, m: &Message) -> Result<(), NotifyError> {
        match (m.channel, &*self.email) {
            (Channel::Sms, _) => self.sms.send(&m.to, &m.body).await,
            (Channel::Email, Email::Outbox(o)) => o.keep(m).await,
            (Channel::Email, Email::Smtp(t, from)) => {
                let to: Mailbox =
                    m.to.parse()
                        .map_err(|_| NotifyError::Address(m.to.clone()))?;
                let email = lettre::Message::builder()
                    .from(from.clone())
                    .to(to)
                    .subject(m.subject.clone())
                    .header(ContentType::TEXT_PLAIN)
                    .body(m.body.clone())
                    .map_err(|e| NotifyError::Send(e.to_string()))?;
                t.send(email)
                    .await
                    .map(|_| ())
                    .map_err(|e| NotifyError::Send(e.to_string()))
            }
        }
    }
}
