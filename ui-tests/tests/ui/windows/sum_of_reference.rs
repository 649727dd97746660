// `sum` adds the values its closure returns: a closure returning a reference is told to return the number itself.
use laminar::prelude::*;

#[derive(Clone, Debug)]
struct Payment {
    account: u64,
    amount: u64,
    at: u64,
}

fn main() {
    let _p = stream! {
        Payment
        -> event_time(|p| p.at)
        -> key_by(|p| p.account)
        -> window(tumbling(10s))
        -> aggregate(sum(|p| &p.amount))
    };
}
