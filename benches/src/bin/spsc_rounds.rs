//! Runs the SPSC peers of `laminar_benches::spsc` interleaved: every round
//! runs each peer once (starting from a different peer each round), so a
//! change in the machine's state lands on all peers alike, not on whichever
//! peer criterion happened to be measuring.
//!
//! `target/release/spsc_rounds [ROUNDS]` (default 30) prints, per peer, the
//! median time of one 1M-item transfer and the median over rounds of its
//! speed relative to `rtrb_single` in the same round. `benches/spsc-layouts`
//! builds and runs it under several code layouts.

use laminar_benches::spsc::PEERS;

/// The median of `v` (upper median for an even count).
fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let rounds: usize = match std::env::args().nth(1).map(|s| s.parse()) {
        None => 30,
        Some(Ok(n)) if n > 0 => n,
        Some(_) => {
            eprintln!("usage: spsc_rounds [ROUNDS], ROUNDS a positive integer");
            std::process::exit(2);
        }
    };
    let reference = PEERS
        .iter()
        .position(|(name, _)| *name == "rtrb_single")
        .expect("rtrb_single is a peer");
    // ms[peer][round]
    let mut ms = vec![Vec::with_capacity(rounds); PEERS.len()];
    for round in 0..rounds {
        for k in 0..PEERS.len() {
            let peer = (round + k) % PEERS.len();
            ms[peer].push((PEERS[peer].1)().as_secs_f64() * 1e3);
        }
    }
    println!("{rounds} rounds of 1M u64 per peer");
    println!(
        "{:<20} {:>12} {:>22}",
        "peer", "median ms", "speed ÷ rtrb_single"
    );
    for (peer, (name, _)) in PEERS.iter().enumerate() {
        let speed: Vec<f64> = (0..rounds)
            .map(|r| ms[reference][r] / ms[peer][r])
            .collect();
        println!(
            "{name:<20} {:>12.3} {:>22.2}",
            median(ms[peer].clone()),
            median(speed)
        );
    }
}
