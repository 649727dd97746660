//! A windowed pipeline behind an HTTP endpoint: page views in as JSON,
//! views per page per 10 s window streamed out as JSON lines.
//!
//! ```sh
//! cargo run --example http_service --features service [ADDRESS]
//! curl -N localhost:3000/results &              # streams until /finish
//! curl -X POST localhost:3000/events -H 'content-type: application/json' \
//!      -d '[{"page":"/home","at":1000},{"page":"/docs","at":12000}]'
//! curl -X POST localhost:3000/finish
//! ```
//!
//! The routes are in `laminar_examples::service`; its test drives them
//! with real HTTP requests on the loopback address.

use laminar::Runtime;
use laminar_examples::service::{router, views_per_page};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let address = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:3000".to_owned());
    let runtime = Runtime::builder().cores(2).build(views_per_page())?;
    let listener = tokio::net::TcpListener::bind(&address).await?;
    println!(
        "listening on http://{}: POST /events, GET /results, GET /late, POST /finish",
        listener.local_addr()?
    );
    axum::serve(listener, router(runtime)).await?;
    Ok(())
}
