//! Laminar's figures as a Prometheus server would see them: the exporter
//! installed on a local port, and a plain HTTP GET of its page (no client
//! library), parsed into `(series, core) -> value`. The Prometheus example
//! and its test share it.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};

/// Installs the Prometheus exporter as the process's `metrics` recorder,
/// serving on `127.0.0.1` at a free port, and returns its address.
pub fn install() -> Result<SocketAddr, Box<dyn std::error::Error>> {
    // A free port: bound, read, released, then taken by the exporter.
    let addr = TcpListener::bind("127.0.0.1:0")?.local_addr()?;
    metrics_exporter_prometheus::PrometheusBuilder::new()
        .with_http_listener(addr)
        .install()?;
    Ok(addr)
}

/// GETs the exporter's page.
pub fn fetch(addr: SocketAddr) -> std::io::Result<String> {
    let mut stream = TcpStream::connect(addr)?;
    stream.write_all(b"GET /metrics HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")?;
    let mut page = String::new();
    stream.read_to_string(&mut page)?;
    Ok(page)
}

/// The `laminar_*` samples of a page: `(name, core)` to value.
pub fn parse(page: &str) -> BTreeMap<(String, usize), f64> {
    let mut samples = BTreeMap::new();
    for line in page.lines() {
        let Some(rest) = line.strip_prefix("laminar_") else {
            continue;
        };
        let Some((series, value)) = rest.rsplit_once(' ') else {
            continue;
        };
        let Some((name, labels)) = series.split_once('{') else {
            continue;
        };
        let core = labels
            .split(',')
            .find_map(|l| l.strip_prefix("core=\""))
            .and_then(|c| c.trim_end_matches(['"', '}']).parse().ok());
        if let (Some(core), Ok(value)) = (core, value.parse()) {
            samples.insert((format!("laminar_{name}"), core), value);
        }
    }
    samples
}
