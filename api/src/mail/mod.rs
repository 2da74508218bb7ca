//! Outgoing e-mail: what a message says ([`letters`] for the messages a member asked for,
//! [`notices`] for notifications, [`digest`] for the daily and weekly round-ups), how it leaves ([`delivery`]:
//! an SMTP server, or `.eml` files in a folder when none is configured) and the sender
//! that works through the outbox ([`sender`]).
//!
//! Nothing is sent from inside a request. A write that means to tell someone something
//! queues a [`Letter`] in the outbox table inside its own transaction
//! (`service::outbox::enqueue`), so the message exists exactly when the change
//! committed; the sender delivers it afterwards, retries what fails, and marks what went.

pub mod delivery;
pub mod digest;
pub mod letters;
pub mod notices;
pub mod sender;

use std::path::PathBuf;

use lkn_entity::vocabulary::Language;

/// A message ready to queue: to whom, in which language, and what it says, as plain text
/// and as HTML (every value in the HTML escaped by [`letters`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Letter {
    /// The address it goes to.
    pub to: String,
    /// The member it goes to, if it goes to one (so their data can be found and erased).
    pub member_id: Option<i64>,
    /// The language it is written in.
    pub language: Language,
    /// Subject line.
    pub subject: String,
    /// Plain-text body.
    pub text: String,
    /// HTML body.
    pub html: String,
    /// The one-click unsubscribe address (RFC 8058), for messages a member chose to get
    /// and may stop (notifications, digests): sent as `List-Unsubscribe`, so a mail client
    /// can offer "unsubscribe" without the member opening the message. None for messages
    /// that answer the member's own request (sign-in codes, invitations, link codes).
    pub unsubscribe_url: Option<String>,
}

/// How outgoing mail leaves this process.
#[derive(Clone, PartialEq, Eq)]
pub enum Route {
    /// Through an SMTP server: `smtp://host:port` (STARTTLS required, except to a
    /// loopback host), `smtps://host:port` (TLS from the start), credentials in the URL
    /// or given apart. Never shown in `Debug` output: it may carry a password.
    Smtp {
        /// The server's URL as configured.
        url: String,
        /// User name, when not in the URL.
        username: Option<String>,
        /// Password, when not in the URL.
        password: Option<String>,
    },
    /// Written as `.eml` files into this folder, for a machine with no mail server:
    /// the embedded default, so `lkn-api serve` works alone.
    Folder(PathBuf),
}

impl std::fmt::Debug for Route {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Route::Smtp { .. } => f.write_str("Smtp(<redacted>)"),
            Route::Folder(path) => f.debug_tuple("Folder").field(path).finish(),
        }
    }
}

/// Everything about outgoing mail one server needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailSettings {
    /// Where mail goes.
    pub route: Route,
    /// The sender, e.g. `Living Knowledge Network <network@bl.uk>`.
    pub from: String,
    /// Where people reach the explorer, for the links in messages (no trailing slash);
    /// the address the server binds when unset.
    pub public_url: Option<String>,
}

impl MailSettings {
    /// The settings `serve`'s flags describe: SMTP when `--smtp-url` is set, the outbox
    /// folder otherwise; links to `--public-url`, or to the bound address when unset.
    pub fn from_serve_args(args: &crate::config::ServeArgs) -> Self {
        let route = match &args.smtp_url {
            Some(url) => Route::Smtp {
                url: url.0.clone(),
                username: args.smtp_username.clone(),
                password: args.smtp_password.as_ref().map(|p| p.0.clone()),
            },
            None => Route::Folder(args.mail_outbox_dir.clone()),
        };
        let public_url = args.public_url.as_ref().map(|url| url.trim_end_matches('/').to_owned());
        Self { route, from: args.mail_from.clone(), public_url }
    }

    /// Settings that write mail into `folder` and link to the server's own address.
    pub fn to_folder(folder: impl Into<PathBuf>) -> Self {
        Self { route: Route::Folder(folder.into()), from: DEFAULT_FROM.to_owned(), public_url: None }
    }

    /// Settings that send through the SMTP server at `url` and link to the server's own
    /// address.
    pub fn to_smtp(url: impl Into<String>) -> Self {
        Self {
            route: Route::Smtp { url: url.into(), username: None, password: None },
            from: DEFAULT_FROM.to_owned(),
            public_url: None,
        }
    }

    /// The links messages carry, for a server bound at `address`.
    pub fn links(&self, address: std::net::SocketAddr) -> Links {
        Links { public_url: self.public_url.clone().unwrap_or_else(|| format!("http://{address}")) }
    }
}

/// A setting that may carry a password (an SMTP URL, a password): kept out of `Debug`
/// output, so settings can be logged.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(pub String);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<redacted>")
    }
}

impl std::str::FromStr for Secret {
    type Err = String;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        let value = value.trim();
        if value.is_empty() { Err("must not be blank".into()) } else { Ok(Self(value.to_owned())) }
    }
}

/// The sender when none is configured.
pub const DEFAULT_FROM: &str = "Living Knowledge Network <no-reply@lkn.invalid>";

/// Builds the links that messages carry, from the public address of the explorer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Links {
    /// The explorer's public address, without a trailing slash.
    pub public_url: String,
}

impl Links {
    /// Links to a server on this machine's default address, for a state built without
    /// mail settings (tests that call the router directly).
    pub fn local() -> Self {
        Self { public_url: "http://127.0.0.1:8080".to_owned() }
    }

    /// The page that completes the sign-in of `email` with `code`.
    pub fn sign_in(&self, code: &str, email: &str) -> String {
        format!("{}/sign-in?code={}&email={}", self.public_url, uri_component(code), uri_component(email))
    }

    /// The page that accepts an invitation with `code`.
    pub fn join(&self, code: &str) -> String {
        format!("{}/join?code={}", self.public_url, uri_component(code))
    }

    /// The explorer's front page.
    pub fn home(&self) -> String {
        format!("{}/", self.public_url)
    }

    /// The explorer's page where a member chooses what they hear about and how often:
    /// every notification and digest links to it, beside its unsubscribe link.
    pub fn settings(&self) -> String {
        format!("{}/#/settings/notifications", self.public_url)
    }

    /// The explorer's page of thread `id`, in the form the explorer routes
    /// (`#/thread/<id>`, as its own thread links are written).
    pub fn thread(&self, id: &str) -> String {
        format!("{}/#/thread/{}", self.public_url, uri_component(id))
    }

    /// The explorer's page of collaboration `id`, named like the thread page
    /// (`#/collaboration/<id>`).
    pub fn collaboration(&self, id: &str) -> String {
        format!("{}/#/collaboration/{}", self.public_url, uri_component(id))
    }
}

/// `value` percent-encoded for a query string or a path segment: everything but RFC
/// 3986's unreserved characters (as `encodeURIComponent`, which the explorer decodes
/// with), so an address like `a+b@x` survives the trip.
fn uri_component(value: &str) -> String {
    let mut encoded = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            encoded.push(char::from(byte));
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    encoded
}

#[cfg(test)]
mod tests {
    use super::Links;

    #[test]
    fn thread_and_collaboration_links_are_the_explorer_s_own_routes() {
        let links = Links { public_url: "https://lkn.example".into() };
        assert_eq!(links.thread("01JD 5/x"), "https://lkn.example/#/thread/01JD%205%2Fx");
        assert_eq!(links.collaboration("42"), "https://lkn.example/#/collaboration/42");
        assert_eq!(links.settings(), "https://lkn.example/#/settings/notifications");
    }

    #[test]
    fn a_sign_in_link_carries_the_address_encoded() {
        let links = Links { public_url: "https://lkn.example".into() };
        assert_eq!(
            links.sign_in("K7P2QX", "a+b@x.example"),
            "https://lkn.example/sign-in?code=K7P2QX&email=a%2Bb%40x.example"
        );
    }
}
