//! How a queued message leaves: over SMTP with lettre, or as an `.eml` file in a folder
//! when no server is configured. Each message carries a Message-ID made from its outbox
//! row, so the rare resend after a crash (the server took it, the process died before
//! marking it sent) is recognisable as the same message by the receiving side.

use std::path::PathBuf;
use std::time::Duration;

use lettre::message::header::{HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use lkn_entity::outbox_message;
use lkn_entity::vocabulary::Language;

use super::{MailSettings, Route};

/// Why a message was not delivered.
#[derive(Debug, thiserror::Error)]
pub enum DeliveryError {
    /// It can never be delivered as it is (a malformed address, a refusal for good):
    /// trying again would only fail again.
    #[error("refused for good: {0}")]
    Permanent(String),
    /// It may go through later (the server is down, busy or asked to retry).
    #[error("not delivered yet: {0}")]
    Transient(String),
}

/// Why mail settings cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("mail settings: {0}")]
pub struct SettingsError(String);

/// Where this process's mail goes, ready to send.
#[derive(Clone)]
pub enum Delivery {
    /// An SMTP server.
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    /// `.eml` files in a folder.
    Folder(PathBuf),
}

impl std::fmt::Debug for Delivery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Delivery::Smtp(_) => f.write_str("Delivery::Smtp"),
            Delivery::Folder(path) => f.debug_tuple("Delivery::Folder").field(path).finish(),
        }
    }
}

/// How long one SMTP conversation may take before it counts as failed.
const SMTP_TIMEOUT: Duration = Duration::from_secs(20);

impl Delivery {
    /// The delivery `settings` describe. An `smtp://` URL to a host other than a
    /// loopback address requires STARTTLS unless the URL says `tls=` itself: a
    /// production relay never receives credentials or mail in the clear by default.
    pub fn from_settings(settings: &MailSettings) -> Result<Self, SettingsError> {
        match &settings.route {
            Route::Folder(path) => Ok(Delivery::Folder(path.clone())),
            Route::Smtp { url, username, password } => {
                let url = with_tls_default(url)?;
                let mut builder = AsyncSmtpTransport::<Tokio1Executor>::from_url(&url)
                    .map_err(|error| SettingsError(format!("cannot use the SMTP URL: {error}")))?
                    .timeout(Some(SMTP_TIMEOUT));
                if let (Some(username), Some(password)) = (username, password) {
                    builder = builder.credentials(Credentials::new(username.clone(), password.clone()));
                }
                Ok(Delivery::Smtp(builder.build()))
            }
        }
    }

    /// Describes where mail goes, for the log (never with credentials).
    pub fn describe(&self) -> String {
        match self {
            Delivery::Smtp(_) => "an SMTP server".to_owned(),
            Delivery::Folder(path) => {
                let shown = std::path::absolute(path).unwrap_or_else(|_| path.clone());
                format!(".eml files in {} (no --smtp-url set)", shown.display())
            }
        }
    }

    /// Delivers one outbox message from `from`.
    pub async fn deliver(&self, row: &outbox_message::Model, from: &str) -> Result<(), DeliveryError> {
        let message = compose(row, from)?;
        match self {
            Delivery::Smtp(transport) => transport.send(message).await.map(|_| ()).map_err(|error| {
                if error.is_permanent() {
                    DeliveryError::Permanent(error.to_string())
                } else {
                    DeliveryError::Transient(error.to_string())
                }
            }),
            Delivery::Folder(folder) => {
                tokio::fs::create_dir_all(folder).await.map_err(|error| {
                    DeliveryError::Transient(format!("cannot create {}: {error}", folder.display()))
                })?;
                let path = folder.join(format!("{:08}.eml", row.id));
                let partial = folder.join(format!(".{:08}.eml.partial", row.id));
                // Written aside, then renamed: a reader never sees half a message.
                tokio::fs::write(&partial, message.formatted()).await.map_err(|error| {
                    DeliveryError::Transient(format!("cannot write {}: {error}", partial.display()))
                })?;
                tokio::fs::rename(&partial, &path)
                    .await
                    .map_err(|error| DeliveryError::Transient(format!("cannot write {}: {error}", path.display())))?;
                tracing::info!(path = %path.display(), "mail written to the outbox folder");
                Ok(())
            }
        }
    }
}

/// Adds `tls=required` to an `smtp://` URL for a host that is not loopback, unless the
/// URL chooses itself; `tls=none` (a plain relay the operator vouches for) is taken out,
/// since lettre knows plain SMTP as the absence of `tls`.
fn with_tls_default(url: &str) -> Result<String, SettingsError> {
    let (scheme, rest) = url.split_once("://").ok_or_else(|| SettingsError("the SMTP URL has no scheme".into()))?;
    if url.contains("tls=none") {
        let plain = url.replace("?tls=none&", "?").replace("?tls=none", "").replace("&tls=none", "");
        return Ok(plain);
    }
    if scheme != "smtp" || url.contains("tls=") {
        return Ok(url.to_owned());
    }
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, host)| host);
    let host = if let Some(bracketed) = host_port.strip_prefix('[') {
        bracketed.split(']').next().unwrap_or_default()
    } else {
        host_port.split(':').next().unwrap_or_default()
    };
    let loopback = host == "localhost" || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback());
    if loopback {
        return Ok(url.to_owned());
    }
    let separator = if url.contains('?') { '&' } else { '?' };
    Ok(format!("{url}{separator}tls=required"))
}

/// The MIME message for an outbox row: plain text and HTML alternatives, its language
/// declared, a Message-ID derived from the row and, for a message the member may stop,
/// the RFC 8058 one-click unsubscribe headers (mail clients show an "unsubscribe" button
/// that POSTs `List-Unsubscribe=One-Click` to the address, without opening the message).
fn compose(row: &outbox_message::Model, from: &str) -> Result<Message, DeliveryError> {
    let from: Mailbox =
        from.parse().map_err(|error| DeliveryError::Permanent(format!("the sender address is not valid: {error}")))?;
    let to: Mailbox = row
        .recipient
        .parse()
        .map_err(|error| DeliveryError::Permanent(format!("the recipient address is not valid: {error}")))?;
    let domain = from.email.domain().to_owned();
    // A Welsh letter carries its English after the Welsh (see `letters`).
    let language = match row.language {
        Language::Welsh => "cy, en",
        _ => "en",
    };
    let mut builder = Message::builder().from(from).to(to).subject(row.subject.clone()).message_id(Some(format!(
        "<lkn-outbox-{}-{}@{domain}>",
        row.id,
        row.created_at.timestamp()
    )));
    let mut headers = vec![("Content-Language", language.to_owned()), ("Auto-Submitted", "auto-generated".to_owned())];
    if let Some(url) = &row.unsubscribe_url {
        headers.push(("List-Unsubscribe", format!("<{url}>")));
        headers.push(("List-Unsubscribe-Post", "List-Unsubscribe=One-Click".to_owned()));
    }
    // Raw headers are encoded by lettre (RFC 2047 for anything but printable ASCII), so a
    // value cannot break out of its line; an ASCII URL has no spaces, so it is not folded.
    for (name, value) in headers {
        builder = builder.raw_header(HeaderValue::new(HeaderName::new_from_ascii_str(name), value));
    }
    builder
        .multipart(MultiPart::alternative_plain_html(row.text_body.clone(), row.html_body.clone()))
        .map_err(|error| DeliveryError::Permanent(format!("cannot build the message: {error}")))
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};
    use lkn_entity::outbox_message;
    use lkn_entity::vocabulary::Language;

    use super::{compose, with_tls_default};

    fn row(unsubscribe_url: Option<&str>) -> outbox_message::Model {
        let now = Utc.with_ymd_and_hms(2026, 12, 2, 9, 0, 0).single().expect("date");
        outbox_message::Model {
            id: 7,
            dedupe_key: "notification:7".into(),
            recipient: "ann@library.example".into(),
            member_id: Some(3),
            language: Language::English,
            subject: "Rhian replied to “Story time”".into(),
            text_body: "Hello".into(),
            html_body: "<p>Hello</p>".into(),
            unsubscribe_url: unsubscribe_url.map(str::to_owned),
            attempts: 0,
            next_attempt_at: now,
            claimed_until: None,
            sent_at: None,
            failed_at: None,
            last_error: None,
            created_at: now,
        }
    }

    fn formatted(row: &outbox_message::Model) -> String {
        let message = compose(row, crate::mail::DEFAULT_FROM).expect("message");
        String::from_utf8(message.formatted()).expect("text")
    }

    #[test]
    fn a_message_with_an_unsubscribe_address_offers_one_click_unsubscribe() {
        // Longer than a header line should be: it must still arrive whole, on one line.
        let url = "https://lkn.example/unsubscribe?token=lkn_unsub_0123456789abcdef0123456789abcdef0123456789abcdef";
        let text = formatted(&row(Some(url)));
        assert!(text.contains(&format!("List-Unsubscribe: <{url}>\r\n")), "{text}");
        assert!(text.contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n"), "{text}");
    }

    #[test]
    fn a_message_without_one_has_no_unsubscribe_headers() {
        let text = formatted(&row(None));
        assert!(!text.contains("List-Unsubscribe"), "{text}");
        assert!(text.contains("Auto-Submitted: auto-generated"), "{text}");
    }

    #[test]
    fn a_relay_on_another_host_must_offer_starttls() {
        assert_eq!(
            with_tls_default("smtp://user:pw@mail.example:587").ok().as_deref(),
            Some("smtp://user:pw@mail.example:587?tls=required")
        );
    }

    #[test]
    fn a_loopback_relay_and_an_explicit_choice_are_left_alone() {
        for url in ["smtp://127.0.0.1:2525", "smtp://localhost:25", "smtp://[::1]:25", "smtps://mail.example"] {
            assert_eq!(with_tls_default(url).ok().as_deref(), Some(url));
        }
        assert_eq!(
            with_tls_default("smtp://relay.example:25?tls=none").ok().as_deref(),
            Some("smtp://relay.example:25")
        );
    }
}
