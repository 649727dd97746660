//! The HTTP service example, driven with real HTTP/1.1 requests on the
//! loopback address (`cargo test -p laminar-examples --features service
//! --test http_service`): page views posted as JSON come back as window
//! counts on a streaming response, while the run goes on and at its end.

#![cfg(feature = "service")]

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::Duration;

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use laminar::Runtime;
use laminar_examples::service::{Accepted, PageCount, PageView, Totals, router, views_per_page};

/// Starts the service on a free loopback port; returns its address.
async fn serve() -> SocketAddr {
    let runtime = Runtime::builder()
        .cores(2)
        .build(views_per_page())
        .expect("runtime");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("address");
    tokio::spawn(async move { axum::serve(listener, router(runtime)).await });
    addr
}

/// One request on a connection of its own; the response's body is left
/// to read (it may be a stream).
async fn request(addr: SocketAddr, method: Method, path: &str, body: &str) -> Response<Incoming> {
    let stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .expect("handshake");
    tokio::spawn(connection);
    let request = Request::builder()
        .method(method)
        .uri(path)
        .header("host", addr.to_string())
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(body.to_owned())))
        .expect("request");
    sender.send_request(request).await.expect("response")
}

/// The whole body, as text.
async fn text(response: Response<Incoming>) -> String {
    let bytes = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes();
    String::from_utf8(bytes.to_vec()).expect("utf-8")
}

/// Reads a streaming JSON-lines body line by line.
struct Lines {
    body: Incoming,
    pending: String,
}

impl Lines {
    fn new(response: Response<Incoming>) -> Self {
        Lines {
            body: response.into_body(),
            pending: String::new(),
        }
    }

    /// The next whole line, or `None` at the end of the body.
    async fn next(&mut self) -> Option<String> {
        loop {
            if let Some(i) = self.pending.find('\n') {
                let line = self.pending[..i].to_owned();
                self.pending.drain(..=i);
                return Some(line);
            }
            let frame = self.body.frame().await?.expect("frame");
            if let Ok(data) = frame.into_data() {
                self.pending
                    .push_str(std::str::from_utf8(&data).expect("utf-8"));
            }
        }
    }
}

async fn post_views(addr: SocketAddr, views: &[PageView]) -> Accepted {
    let body = serde_json::to_string(views).expect("json");
    let response = request(addr, Method::POST, "/events", &body).await;
    assert_eq!(response.status(), StatusCode::OK);
    serde_json::from_str(&text(response).await).expect("accepted")
}

fn view(page: &str, at: u64) -> PageView {
    PageView {
        page: page.to_owned(),
        at,
    }
}

/// The expected counts: every view in its 10 s window, by hand.
fn counts(views: &[PageView]) -> Vec<PageCount> {
    let mut by: BTreeMap<(String, u64), u64> = BTreeMap::new();
    for v in views {
        *by.entry((v.page.clone(), v.at / 10_000 * 10_000))
            .or_default() += 1;
    }
    by.into_iter()
        .map(|((page, start), views)| PageCount {
            page,
            start,
            end: start + 10_000,
            views,
        })
        .collect()
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime")
}

#[test]
fn page_views_posted_as_json_stream_back_as_window_counts() {
    runtime().block_on(async {
        tokio::time::timeout(Duration::from_secs(60), async {
            let addr = serve().await;
            let results = request(addr, Method::GET, "/results", "").await;
            assert_eq!(results.status(), StatusCode::OK);
            assert_eq!(results.headers()["content-type"], "application/x-ndjson");
            let mut lines = Lines::new(results);

            // Two clients' worth of views, slightly out of order, over
            // four windows.
            let pages = ["/home", "/docs", "/pricing"];
            let first: Vec<_> = (0..300u64)
                .map(|i| view(pages[(i % 3) as usize], i * 70 + (i % 4) * 200))
                .collect();
            let second: Vec<_> = (300..600u64)
                .map(|i| view(pages[(i % 2) as usize], i * 70))
                .collect();
            assert_eq!(post_views(addr, &first).await.queued, 300);

            // The first batch's watermark (21.5 s, less 1 s of lateness)
            // closed [0, 10 s) and [10 s, 20 s): their counts arrive now,
            // before any finish, [0, 10 s) first from every core.
            let early: PageCount = serde_json::from_str(
                &tokio::time::timeout(Duration::from_secs(10), lines.next())
                    .await
                    .expect("a result while the run goes on")
                    .expect("a line"),
            )
            .expect("json");
            assert_eq!((early.start, early.end), (0, 10_000));

            assert_eq!(post_views(addr, &second).await.queued, 300);
            // A view of [0, 10 s), long closed: late.
            assert_eq!(post_views(addr, &[view("/home", 5)]).await.queued, 1);

            let late = request(addr, Method::GET, "/late", "").await;
            assert_eq!(late.status(), StatusCode::OK);
            let finished = request(addr, Method::POST, "/finish", "").await;
            assert_eq!(finished.status(), StatusCode::OK);
            let totals: Totals = serde_json::from_str(&text(finished).await).expect("totals");

            let mut got = vec![early];
            while let Some(line) = lines.next().await {
                got.push(serde_json::from_str(&line).expect("json"));
            }
            got.sort();
            let all: Vec<_> = first.iter().chain(&second).cloned().collect();
            assert_eq!(got, counts(&all));
            assert_eq!(
                totals,
                Totals {
                    events_in: 601,
                    events_out: got.len() as u64,
                    late: 1,
                    outputs_unread: 0,
                }
            );
            let late: Vec<PageView> = text(late)
                .await
                .lines()
                .map(|l| serde_json::from_str(l).expect("json"))
                .collect();
            assert_eq!(late, [view("/home", 5)]);
        })
        .await
        .expect("the service answered within 60 s");
    });
}

#[test]
fn the_service_says_what_it_cannot_do() {
    runtime().block_on(async {
        tokio::time::timeout(Duration::from_secs(60), async {
            let addr = serve().await;
            let bad = request(addr, Method::POST, "/events", "{not json").await;
            assert!(bad.status().is_client_error(), "{}", bad.status());

            let results = request(addr, Method::GET, "/results", "").await;
            assert_eq!(results.status(), StatusCode::OK);
            let again = request(addr, Method::GET, "/results", "").await;
            assert_eq!(again.status(), StatusCode::CONFLICT);

            let finished = request(addr, Method::POST, "/finish", "").await;
            assert_eq!(finished.status(), StatusCode::OK);
            // With no views, no results: the stream just ends.
            assert_eq!(text(results).await, "");

            let after = request(addr, Method::POST, "/events", "[]").await;
            assert_eq!(after.status(), StatusCode::CONFLICT);
            let twice = request(addr, Method::POST, "/finish", "").await;
            assert_eq!(twice.status(), StatusCode::CONFLICT);
        })
        .await
        .expect("the service answered within 60 s");
    });
}
