//! Runs one way of the fusion logic over 1M bids, for callgrind to count
//! instructions: `valgrind --tool=callgrind --toggle-collect='*fusion*WAY*'
//! target/release/fusion_icount WAY`, WAY one of generated, hand_written,
//! iterator, boxed_dyn. Instruction counts do not depend on machine noise.

use laminar_benches::fusion::{bids, boxed_dyn, generated, hand_written, iterator};

fn main() {
    let way = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "generated".into());
    let input = bids(1_000_000);
    let f: fn(&[laminar_benches::fusion::Bid]) -> u64 = match way.as_str() {
        "generated" => generated,
        "hand_written" => hand_written,
        "iterator" => iterator,
        "boxed_dyn" => boxed_dyn,
        other => {
            eprintln!("unknown way {other}: use generated, hand_written, iterator or boxed_dyn");
            std::process::exit(2);
        }
    };
    println!("{way}: {}", f(std::hint::black_box(&input)));
}
