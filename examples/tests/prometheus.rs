//! The per-core series a Prometheus server scrapes agree with the final
//! report: the exporter serves them over HTTP on the loopback address, and
//! the test reads the page as Prometheus would. The pipeline is q5 in its
//! two-stage form, so that the exchange series count something.

use laminar::prelude::*;
use laminar_examples::nexmark::{DEFAULT_RATE, bid_source, q5_hot};
use laminar_examples::scrape;

#[test]
fn the_scraped_counters_match_the_report() {
    let addr = scrape::install().expect("exporter");
    let rt = Runtime::builder()
        .cores(2)
        .build(q5_hot())
        .expect("runtime");
    rt.attach(bid_source(50_000, DEFAULT_RATE));
    let mut input = rt.input();
    input
        .submit_iter(laminar_examples::nexmark::bids(1_000, DEFAULT_RATE))
        .expect("submit");
    drop(input);
    let mut rows = Vec::new();
    let report = rt.finish_into(&mut rows).expect("finish");
    let page = scrape::fetch(addr).expect("scrape");
    assert!(page.starts_with("HTTP/1.1 200"), "{page}");
    let samples = scrape::parse(&page);
    for c in &report.cores {
        let get = |name: &str| {
            *samples
                .get(&(name.to_owned(), c.core))
                .unwrap_or_else(|| panic!("no {name} for core {} in\n{page}", c.core))
        };
        assert_eq!(get("laminar_events_in_total"), c.events_in as f64);
        assert_eq!(get("laminar_events_out_total"), c.events_out as f64);
        assert_eq!(get("laminar_read_total"), c.read as f64);
        assert_eq!(get("laminar_sent_total"), c.sent as f64);
        assert_eq!(get("laminar_shuffled_out_total"), c.shuffled_out as f64);
        assert_eq!(get("laminar_shuffled_in_total"), c.shuffled_in as f64);
        assert_eq!(get("laminar_exchange_holds_total"), c.exchange_holds as f64);
        assert_eq!(get("laminar_submitted_total"), c.submitted as f64);
        assert_eq!(get("laminar_late_total"), c.late as f64);
        assert_eq!(get("laminar_dropped_total"), c.dropped as f64);
        assert_eq!(get("laminar_queue_depth"), 0.0);
        assert!(get("laminar_watermark_ms") > 0.0);
    }
    assert_eq!(report.events_in(), 51_000);
    assert!(
        report.shuffled() > 0,
        "the counts crossed to their window's core"
    );
    assert!(!rows.is_empty());
}
