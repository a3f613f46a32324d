//! Sends the daily summary and health alerts: SMTP e-mail (`lettre`) and a
//! WeCom (企业微信) or DingTalk (钉钉) group robot webhook (markdown).

use lettre::message::{MultiPart, SinglePart, header::ContentType};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use super::config::{EmailSettings, SmtpTls, WebhookFormat, WebhookSettings};

#[derive(Debug, thiserror::Error)]
pub enum DeliveryError {
    #[error("e-mail via {host}:{port}: {message}")]
    Email { host: String, port: u16, message: String },
    #[error("webhook {url}: {message}")]
    Webhook { url: String, message: String },
}

pub async fn email(settings: &EmailSettings, subject: &str, text: &str, html: &str) -> Result<(), DeliveryError> {
    let err = |message: String| DeliveryError::Email { host: settings.host.clone(), port: settings.port, message };
    let mut builder = Message::builder().from(settings.from.parse().map_err(|e| err(format!("from: {e}")))?).subject(subject);
    for to in &settings.to {
        builder = builder.to(to.parse().map_err(|e| err(format!("to {to}: {e}")))?);
    }
    let message = builder
        .multipart(
            MultiPart::alternative()
                .singlepart(SinglePart::builder().header(ContentType::TEXT_PLAIN).body(text.to_string()))
                .singlepart(SinglePart::builder().header(ContentType::TEXT_HTML).body(html.to_string())),
        )
        .map_err(|e| err(e.to_string()))?;
    let mut transport = match settings.tls {
        SmtpTls::None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&settings.host),
        SmtpTls::StartTls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&settings.host).map_err(|e| err(e.to_string()))?,
        SmtpTls::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(&settings.host).map_err(|e| err(e.to_string()))?,
    }
    .port(settings.port)
    .timeout(Some(std::time::Duration::from_secs(30)));
    if let (Some(user), Some(pass)) = (&settings.username, &settings.password) {
        transport = transport.credentials(Credentials::new(user.clone(), pass.clone()));
    }
    transport.build().send(message).await.map_err(|e| err(e.to_string()))?;
    Ok(())
}

/// The robot's JSON body for a markdown message.
pub fn webhook_body(format: WebhookFormat, title: &str, markdown: &str) -> serde_json::Value {
    match format {
        WebhookFormat::WeCom => serde_json::json!({ "msgtype": "markdown", "markdown": { "content": markdown } }),
        WebhookFormat::DingTalk => serde_json::json!({ "msgtype": "markdown", "markdown": { "title": title, "text": markdown } }),
    }
}

pub async fn webhook(settings: &WebhookSettings, title: &str, markdown: &str) -> Result<(), DeliveryError> {
    let err = |message: String| DeliveryError::Webhook { url: redact_key(&settings.url), message };
    let client = reqwest::Client::builder().timeout(std::time::Duration::from_secs(30)).build().map_err(|e| err(e.to_string()))?;
    let resp =
        client.post(&settings.url).json(&webhook_body(settings.format, title, markdown)).send().await.map_err(|e| err(e.to_string()))?;
    let status = resp.status();
    let text = resp.text().await.unwrap_or_default();
    if !status.is_success() {
        return Err(err(format!("HTTP {status}: {text}")));
    }
    // Both robots answer 200 with {"errcode": 0} on success.
    if let Ok(v) = serde_json::from_str::<serde_json::Value>(&text)
        && let Some(code) = v.get("errcode").and_then(|c| c.as_i64()).filter(|c| *c != 0)
    {
        return Err(err(format!("errcode {code}: {}", v.get("errmsg").and_then(|m| m.as_str()).unwrap_or(""))));
    }
    Ok(())
}

/// Webhook URLs carry their secret in the query: keep it out of logs.
fn redact_key(url: &str) -> String {
    url.split_once('?').map_or(url.to_string(), |(base, _)| format!("{base}?…"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn robot_bodies_follow_each_format() {
        let w = webhook_body(WebhookFormat::WeCom, "t", "### x");
        assert_eq!(w["msgtype"], "markdown");
        assert_eq!(w["markdown"]["content"], "### x");
        let d = webhook_body(WebhookFormat::DingTalk, "t", "### x");
        assert_eq!(d["markdown"]["title"], "t");
        assert_eq!(d["markdown"]["text"], "### x");
        assert_eq!(
            redact_key("https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=SECRET"),
            "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?…"
        );
    }
}
