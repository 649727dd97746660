//! A windowed Laminar pipeline behind an HTTP endpoint, on axum and Tokio
//! (the `service` feature; run it with `cargo run --example http_service
//! --features service`).
//!
//! - `POST /events` takes a JSON array of [`PageView`]s and submits them
//!   with `Input::submit_all_async`: a request whose events find the
//!   queues full waits for credit as a task, never blocking a server
//!   thread, and that wait is the backpressure a client feels.
//! - `GET /results` streams the window results, one JSON [`PageCount`] per
//!   line, as the cores emit them: the output handle is a `Stream`, and
//!   the response body is made from it. It has one reader. The handle is
//!   taken when the service starts, so results wait for that reader:
//!   until one connects, the cores stop once their outboxes are full, and
//!   `POST /events` waits in turn. Memory stays bounded.
//! - `GET /late` streams the late page views the same way. Their handle is
//!   taken when this is first asked for: until then late views are kept
//!   (they are few), and at the end they are counted, never silently lost.
//! - `POST /finish` ends the input, waits for the cores, and answers with
//!   the run's totals ([`Totals`]); the streams end after their last item.

use std::convert::Infallible;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use axum::Json;
use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use futures_core::Stream;
use laminar::prelude::*;
use laminar::{Timestamp, Windowed};
use serde::{Deserialize, Serialize};

/// One page view, as clients post it: `{"page": "/home", "at": 1200}`, the
/// time in milliseconds.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageView {
    /// The page's path.
    pub page: String,
    /// When it was viewed, in milliseconds (event time).
    pub at: Timestamp,
}

/// One window result, as `GET /results` streams it: views of `page` in
/// `[start, end)`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct PageCount {
    /// The page's path.
    pub page: String,
    /// First millisecond of the window.
    pub start: Timestamp,
    /// First millisecond after it.
    pub end: Timestamp,
    /// Views in it.
    pub views: u64,
}

impl From<Windowed<String, u64>> for PageCount {
    fn from(w: Windowed<String, u64>) -> Self {
        PageCount {
            page: w.key,
            start: w.start,
            end: w.end,
            views: w.value,
        }
    }
}

/// What `POST /events` answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Accepted {
    /// Events queued for their cores.
    pub queued: usize,
    /// Events the backpressure policy discarded (only under `Drop`).
    pub dropped: usize,
}

/// What `POST /finish` answers: the run's report, in brief.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Totals {
    /// Events the cores consumed.
    pub events_in: u64,
    /// Window results emitted.
    pub events_out: u64,
    /// Page views too late for their window.
    pub late: u64,
    /// Results nobody read (no `GET /results` was open).
    pub outputs_unread: u64,
}

/// Views per page per 10 s window of event time, events up to 1 s out of
/// order.
pub fn views_per_page() -> impl Pipeline<In = PageView, Out = Windowed<String, u64>> {
    stream! {
        PageView
        -> event_time(|v| v.at, lateness = 1s)
        -> key_by(|v| v.page.clone())
        -> window(tumbling(10s))
        -> aggregate(count())
    }
}

/// The service's state: the running pipeline and its handles, each taken
/// out when it is used up.
pub struct Service<P: Pipeline> {
    /// Held across the awaits of a submit: requests submit in turn.
    input: tokio::sync::Mutex<Option<Input<P::In, P::Route>>>,
    results: Mutex<Option<Output<P::Out>>>,
    runtime: Mutex<Option<Runtime<P>>>,
}

impl<P: Pipeline> std::fmt::Debug for Service<P> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Service").finish_non_exhaustive()
    }
}

/// The HTTP routes over a built runtime (see the [module](self)).
pub fn router<P>(mut runtime: Runtime<P>) -> Router
where
    P: Pipeline<In = PageView, Out = Windowed<String, u64>>,
{
    let service = Arc::new(Service {
        input: tokio::sync::Mutex::new(Some(runtime.input())),
        results: Mutex::new(runtime.output().ok()),
        runtime: Mutex::new(Some(runtime)),
    });
    Router::new()
        .route("/events", post(events::<P>))
        .route("/results", get(results::<P>))
        .route("/late", get(late::<P>))
        .route("/finish", post(finish::<P>))
        .with_state(service)
}

type Shared<P> = State<Arc<Service<P>>>;

async fn events<P>(State(service): Shared<P>, Json(views): Json<Vec<PageView>>) -> Response
where
    P: Pipeline<In = PageView, Out = Windowed<String, u64>>,
{
    let mut input = service.input.lock().await;
    let Some(input) = input.as_mut() else {
        return (StatusCode::CONFLICT, "the run has finished\n").into_response();
    };
    match input.submit_all_async(views).await {
        Ok(a) => Json(Accepted {
            queued: a.queued,
            dropped: a.dropped,
        })
        .into_response(),
        Err(e) => (StatusCode::SERVICE_UNAVAILABLE, format!("{e}\n")).into_response(),
    }
}

async fn results<P>(State(service): Shared<P>) -> Response
where
    P: Pipeline<In = PageView, Out = Windowed<String, u64>>,
{
    let output = service
        .results
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .take();
    match output {
        Some(output) => json_lines(output, PageCount::from),
        None => (StatusCode::CONFLICT, "the results are being read already\n").into_response(),
    }
}

async fn late<P>(State(service): Shared<P>) -> Response
where
    P: Pipeline<In = PageView, Out = Windowed<String, u64>>,
{
    let output = match service
        .runtime
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .as_mut()
    {
        Some(runtime) => runtime.late_output(),
        None => return (StatusCode::CONFLICT, "the run has finished\n").into_response(),
    };
    match output {
        Ok(output) => json_lines(output, |v: PageView| v),
        Err(_) => (
            StatusCode::CONFLICT,
            "the late events are being read already\n",
        )
            .into_response(),
    }
}

async fn finish<P>(State(service): Shared<P>) -> Response
where
    P: Pipeline<In = PageView, Out = Windowed<String, u64>>,
{
    // Wait for a submit under way, then end the input.
    drop(service.input.lock().await.take());
    let runtime = service
        .runtime
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .take();
    let Some(runtime) = runtime else {
        return (StatusCode::CONFLICT, "the run has finished\n").into_response();
    };
    // A results handle nobody took is let go, so that its items are
    // counted, not waited for.
    drop(
        service
            .results
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take(),
    );
    // `finish` joins the cores' threads: off the async workers.
    match tokio::task::spawn_blocking(move || runtime.finish()).await {
        Ok(Ok(report)) => Json(Totals {
            events_in: report.events_in(),
            events_out: report.events_out(),
            late: report.late(),
            outputs_unread: report.outputs_unread(),
        })
        .into_response(),
        Ok(Err(e)) => (StatusCode::INTERNAL_SERVER_ERROR, format!("{e}\n")).into_response(),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, format!("{e}\n")).into_response(),
    }
}

/// A streaming response of one JSON value per line, from an output handle.
fn json_lines<T, J>(output: Output<T>, to_json: fn(T) -> J) -> Response
where
    T: Send + 'static,
    J: Serialize + 'static,
{
    let lines = JsonLines { output, to_json };
    Response::builder()
        .header(header::CONTENT_TYPE, "application/x-ndjson")
        .body(Body::from_stream(lines))
        .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
}

/// Each item of an output handle as a line of JSON.
struct JsonLines<T, J> {
    output: Output<T>,
    to_json: fn(T) -> J,
}

impl<T, J: Serialize> Stream for JsonLines<T, J> {
    type Item = Result<String, Infallible>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        Pin::new(&mut this.output).poll_next(cx).map(|item| {
            item.map(|x| {
                let mut line = serde_json::to_string(&(this.to_json)(x))
                    .unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"));
                line.push('\n');
                Ok(line)
            })
        })
    }
}
