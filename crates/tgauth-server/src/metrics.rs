//! Prometheus metrics: requests by route and status, logins by method and outcome, updates,
//! notifications, Passport receptions and events. Labels are routes and fixed words, never a
//! URI, an id or a name.

use std::sync::Arc;

use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

type Labels = Vec<(&'static str, String)>;

/// The service's metrics and their registry (one per service, not global).
#[derive(Clone)]
pub struct Metrics {
    registry: Arc<Registry>,
    requests: Family<Labels, Counter>,
    logins: Family<Labels, Counter>,
    updates: Family<Labels, Counter>,
    notifications: Family<Labels, Counter>,
    passports: Family<Labels, Counter>,
    events: Family<Labels, Counter>,
    /// Whether this replica holds the polling lease (1) or not (0).
    pub(crate) polling_lease: Gauge,
    /// Notifications waiting in the outbox (read when scraped).
    pub(crate) notifications_queued: Gauge,
    /// Events waiting in the outbox (read when scraped).
    pub(crate) events_queued: Gauge,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Metrics")
    }
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("tgauth");
        let requests = Family::default();
        registry.register(
            "http_requests",
            "HTTP requests by route, method and status",
            requests.clone(),
        );
        let logins = Family::default();
        registry.register("logins", "Logins by method and outcome", logins.clone());
        let updates = Family::default();
        registry.register("updates", "Bot API updates by outcome", updates.clone());
        let notifications = Family::default();
        registry.register(
            "notifications",
            "Notifications by outcome",
            notifications.clone(),
        );
        let passports = Family::default();
        registry.register(
            "passport_receptions",
            "Passport receptions by outcome",
            passports.clone(),
        );
        let events = Family::default();
        registry.register("events", "Events to the website by outcome", events.clone());
        let polling_lease = Gauge::default();
        registry.register(
            "polling_lease",
            "Whether this replica holds the polling lease",
            polling_lease.clone(),
        );
        let notifications_queued = Gauge::default();
        registry.register(
            "notifications_queued",
            "Notifications waiting in the outbox",
            notifications_queued.clone(),
        );
        let events_queued = Gauge::default();
        registry.register(
            "events_queued",
            "Events waiting in the outbox",
            events_queued.clone(),
        );
        Self {
            registry: Arc::new(registry),
            notifications_queued,
            events_queued,
            requests,
            logins,
            updates,
            notifications,
            passports,
            events,
            polling_lease,
        }
    }
}

impl Metrics {
    pub(crate) fn request(&self, route: &str, method: &str, status: u16) {
        self.requests
            .get_or_create(&vec![
                ("route", route.to_owned()),
                ("method", method.to_owned()),
                ("status", status.to_string()),
            ])
            .inc();
    }

    pub(crate) fn login(&self, method: &str, outcome: &str) {
        self.logins
            .get_or_create(&vec![
                ("method", method.to_owned()),
                ("outcome", outcome.to_owned()),
            ])
            .inc();
    }

    pub(crate) fn update(&self, outcome: &str) {
        self.updates
            .get_or_create(&vec![("outcome", outcome.to_owned())])
            .inc();
    }

    pub(crate) fn notification(&self, outcome: &str) {
        self.notifications
            .get_or_create(&vec![("outcome", outcome.to_owned())])
            .inc();
    }

    pub(crate) fn passport(&self, outcome: &str) {
        self.passports
            .get_or_create(&vec![("outcome", outcome.to_owned())])
            .inc();
    }

    pub(crate) fn event(&self, outcome: &str) {
        self.events
            .get_or_create(&vec![("outcome", outcome.to_owned())])
            .inc();
    }

    /// The OpenMetrics text.
    pub fn render(&self) -> String {
        let mut text = String::new();
        // Writing to a String cannot fail.
        let _ = encode(&mut text, &self.registry);
        text
    }
}
