//! HTML pages: the consent screen and Google-style error pages.
//!
//! Plain forms with no JavaScript, so tests (and curl) can drive them by
//! parsing the HTML and posting the form. Everything echoed from a request is
//! escaped.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::accounts::Account;

/// Path the consent form posts to.
pub const CONSENT_ACTION: &str = "/o/oauth2/v2/auth/consent";

pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn html(status: StatusCode, body: String) -> Response {
    (
        status,
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            ),
            // A consent page carries a one-time consent id.
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
        body,
    )
        .into_response()
}

fn document(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <title>{title}</title>\n</head>\n<body>\n{body}</body>\n</html>\n",
        title = escape(title),
    )
}

/// Google's "Access blocked" page, e.g. `Error 400: redirect_uri_mismatch`.
/// Shown instead of redirecting when the redirect target can't be trusted.
pub fn error_page(status: StatusCode, error: &str, detail: &str) -> Response {
    let heading = format!("Error {}: {}", status.as_u16(), error);
    let body = format!(
        "<h1>Access blocked: this app&#39;s request is invalid</h1>\n\
         <h2 id=\"error\">{}</h2>\n<p id=\"detail\">{}</p>\n\
         <p><small>Google sandbox: a local stand-in for accounts.google.com.</small></p>\n",
        escape(&heading),
        escape(detail),
    );
    html(status, document(&heading, &body))
}

/// Human wording for well-known scopes; unknown ones are shown raw.
fn describe_scope(scope: &str) -> &'static str {
    match scope {
        "openid" => "Associate you with your personal info on Google",
        "https://www.googleapis.com/auth/userinfo.email" => {
            "See your primary Google Account email address"
        }
        "https://www.googleapis.com/auth/userinfo.profile" => {
            "See your personal info, including any personal info you've made publicly available"
        }
        "https://www.googleapis.com/auth/gmail.readonly" => "View your email messages and settings",
        "https://www.googleapis.com/auth/gmail.metadata" => {
            "View your email message metadata such as labels and headers, but not the email body"
        }
        "https://www.googleapis.com/auth/gmail.modify" => {
            "Read, compose, and send emails from your Gmail account"
        }
        "https://mail.google.com/" => {
            "Read, compose, send, and permanently delete all your email from Gmail"
        }
        _ => "",
    }
}

pub struct ConsentPage<'a> {
    pub consent_id: &'a str,
    pub client_id: &'a str,
    pub accounts: &'a [Account],
    /// The account whose radio button is `checked`.
    pub selected: Option<&'a str>,
    pub scopes: &'a [String],
}

impl ConsentPage<'_> {
    pub fn render(&self) -> String {
        let mut body = String::new();
        body.push_str("<h1>Sign in with Google (sandbox)</h1>\n");
        body.push_str(&format!(
            "<p>The app <code id=\"client_id\">{}</code> wants to access your Google Account.</p>\n",
            escape(self.client_id)
        ));
        body.push_str(&format!(
            "<form method=\"post\" action=\"{CONSENT_ACTION}\">\n\
             <input type=\"hidden\" name=\"consent_id\" value=\"{}\">\n",
            escape(self.consent_id)
        ));

        body.push_str("<fieldset>\n<legend>Choose an account</legend>\n");
        if self.accounts.is_empty() {
            body.push_str("<p>No sandbox accounts: add a folder named like an email address to the mailboxes directory.</p>\n");
        }
        for (i, account) in self.accounts.iter().enumerate() {
            let checked = if self.selected == Some(account.email.as_str()) {
                " checked"
            } else {
                ""
            };
            body.push_str(&format!(
                "<label><input type=\"radio\" id=\"account-{i}\" name=\"account\" value=\"{email}\"{checked}> {email}</label><br>\n",
                email = escape(&account.email),
            ));
        }
        body.push_str("</fieldset>\n");

        body.push_str("<fieldset>\n<legend>Select what the app can access</legend>\n");
        for (i, scope) in self.scopes.iter().enumerate() {
            let description = describe_scope(scope);
            let description = if description.is_empty() {
                String::new()
            } else {
                format!(" &mdash; {}", escape(description))
            };
            body.push_str(&format!(
                "<label><input type=\"checkbox\" id=\"scope-{i}\" name=\"scope\" value=\"{}\" checked> <code>{}</code>{description}</label><br>\n",
                escape(scope),
                escape(scope),
            ));
        }
        body.push_str("</fieldset>\n");

        body.push_str(
            // Allow first: it is what Enter submits in a no-JS browser.
            "<button type=\"submit\" name=\"action\" value=\"allow\">Allow</button>\n\
             <button type=\"submit\" name=\"action\" value=\"deny\">Deny</button>\n\
             </form>\n",
        );
        document("Sign in with Google (sandbox)", &body)
    }

    pub fn into_response(self) -> Response {
        html(StatusCode::OK, self.render())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup() {
        assert_eq!(
            escape(r#"<a href="x">'&'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
    }

    #[test]
    fn consent_page_has_the_form_fields() {
        let accounts = vec![
            Account {
                email: "demo.investor@gmail.com".into(),
                dir: "/tmp/a".into(),
            },
            Account {
                email: "second.investor@gmail.com".into(),
                dir: "/tmp/b".into(),
            },
        ];
        let scopes = vec![
            "openid".to_string(),
            "https://www.googleapis.com/auth/gmail.readonly".to_string(),
        ];
        let page = ConsentPage {
            consent_id: "abc\"<",
            client_id: "client<script>",
            accounts: &accounts,
            selected: Some("demo.investor@gmail.com"),
            scopes: &scopes,
        }
        .render();
        assert!(page.contains("<title>Sign in with Google (sandbox)</title>"));
        assert!(page.contains(r#"<form method="post" action="/o/oauth2/v2/auth/consent">"#));
        assert!(page.contains(r#"name="consent_id" value="abc&quot;&lt;""#));
        assert!(page.contains("client&lt;script&gt;"));
        assert!(!page.contains("<script>"));
        assert!(page.contains(r#"name="account" value="demo.investor@gmail.com" checked>"#));
        assert!(page.contains(r#"name="account" value="second.investor@gmail.com">"#));
        assert!(page.contains(
            r#"name="scope" value="https://www.googleapis.com/auth/gmail.readonly" checked>"#
        ));
        assert!(
            page.contains(r#"<button type="submit" name="action" value="allow">Allow</button>"#)
        );
        assert!(page.contains(r#"<button type="submit" name="action" value="deny">Deny</button>"#));
    }

    #[test]
    fn error_page_shows_google_heading() {
        let response = error_page(StatusCode::BAD_REQUEST, "redirect_uri_mismatch", "x");
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    }
}
