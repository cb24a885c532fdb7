//! The Kafka side of the worker: reading a request message (both our shape and the earlier
//! system's), dead-lettering it with headers saying why, and publishing outcomes.

use chrono::Utc;
use rdkafka::message::{BorrowedMessage, Header, Message, OwnedHeaders};
use rdkafka::producer::FutureProducer;

use super::WorkerError;
use super::ingest::{IngestRequest, Outcomes};
use crate::config::KafkaSettings;
use crate::domain::Symbol;
use crate::kafka::{self, RegistrationMessage, ResultMessage};

/// The request in a message. The earlier system sent only `{"symbol":"…"}`; that is
/// accepted too. Anything else is poison, with the reason.
pub fn parse_request(payload: Option<&[u8]>) -> Result<IngestRequest, String> {
    let payload = payload.ok_or("empty message")?;
    let message: RegistrationMessage = serde_json::from_slice(payload)
        .map_err(|error| format!("not a registration request: {error}"))?;
    let symbol = Symbol::parse(&message.symbol).map_err(|error| error.to_string())?;
    let request_id = message.request_id.and_then(|id| id.parse().ok());
    Ok(IngestRequest { symbol, request_id })
}

/// Outcomes of the request in `message`, sent to the result and dead-letter topics.
pub struct KafkaOutcomes<'a> {
    pub producer: &'a FutureProducer,
    pub settings: &'a KafkaSettings,
    pub message: &'a BorrowedMessage<'a>,
}

impl Outcomes for KafkaOutcomes<'_> {
    /// Copies the message to the dead-letter topic, with why and after how many attempts in
    /// its headers, and where it came from.
    async fn dead_letter(&self, reason: &str, attempts: u32) -> Result<(), WorkerError> {
        let message = self.message;
        let attempts = attempts.to_string();
        let partition = message.partition().to_string();
        let offset = message.offset().to_string();
        let failed_at = Utc::now().to_rfc3339();
        let headers = OwnedHeaders::new()
            .insert(header("error", reason))
            .insert(header("attempts", &attempts))
            .insert(header("source-topic", message.topic()))
            .insert(header("source-partition", &partition))
            .insert(header("source-offset", &offset))
            .insert(header("failed-at", &failed_at));
        let key = message
            .key()
            .map(String::from_utf8_lossy)
            .unwrap_or_default();
        kafka::publish_with_headers(
            self.producer,
            &self.settings.dlq_topic,
            &key,
            message.payload().unwrap_or_default(),
            headers,
        )
        .await?;
        Ok(())
    }

    /// Publishes the outcome with the current span's trace, which the gateways continue.
    async fn publish(&self, result: &ResultMessage) -> Result<(), WorkerError> {
        let payload = serde_json::to_vec(result)?;
        kafka::publish_with_headers(
            self.producer,
            &self.settings.result_topic,
            &result.symbol,
            &payload,
            kafka::trace_headers(),
        )
        .await?;
        Ok(())
    }
}

fn header<'a>(key: &'a str, value: &'a str) -> Header<'a, &'a str> {
    Header {
        key,
        value: Some(value),
    }
}

#[cfg(test)]
mod tests {
    use super::parse_request;

    #[test]
    fn accepts_both_payloads_and_refuses_poison() {
        let request = parse_request(Some(br#"{"symbol":"aapl"}"#)).unwrap();
        assert_eq!(
            (request.symbol.as_str(), request.request_id),
            ("AAPL", None)
        );
        let request = parse_request(Some(
            br#"{"symbol":"AAPL","requestId":"42","requestedAt":"2026-11-25T09:00:00Z"}"#,
        ))
        .unwrap();
        assert_eq!(request.request_id, Some(42));
        assert!(parse_request(Some(b"not json")).is_err());
        assert!(parse_request(Some(br#"{"symbol":"NO WAY!"}"#)).is_err());
        assert!(parse_request(None).is_err());
    }
}
