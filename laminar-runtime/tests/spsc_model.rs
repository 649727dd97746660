//! The SPSC ring against a `VecDeque` on one thread: random sequences of
//! single and batched pushes and pops, batches dropped part-way, on small
//! rings so that every run crosses the end of the slots many times. Each
//! operation must return exactly what the model returns.

use std::collections::VecDeque;

use laminar_runtime::spsc;
use proptest::prelude::*;

#[derive(Clone, Debug)]
enum Op {
    Push,
    PushIter(usize),
    Pop,
    /// Take up to `max` as a batch, but iterate only `take` of them.
    PopBatch {
        max: usize,
        take: usize,
    },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        Just(Op::Push),
        (0usize..12).prop_map(Op::PushIter),
        Just(Op::Pop),
        (0usize..12, 0usize..12).prop_map(|(max, take)| Op::PopBatch { max, take }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn ring_agrees_with_a_vecdeque(
        capacity in 1usize..9,
        ops in prop::collection::vec(op(), 1..300),
    ) {
        let (mut tx, mut rx) = spsc::channel::<u32>(capacity);
        let cap = tx.capacity();
        let mut model = VecDeque::new();
        let mut next = 0u32;
        for op in ops {
            match op {
                Op::Push => {
                    let result = tx.push(next);
                    if model.len() < cap {
                        prop_assert!(result.is_ok());
                        model.push_back(next);
                    } else {
                        prop_assert_eq!(result.unwrap_err().0, next);
                    }
                    next += 1;
                }
                Op::PushIter(n) => {
                    let mut src = next..next + n as u32;
                    let pushed = tx.push_iter(&mut src);
                    let fits = n.min(cap - model.len());
                    prop_assert_eq!(pushed, fits);
                    model.extend(next..next + fits as u32);
                    // What did not fit is still in the iterator.
                    prop_assert_eq!(src.next(), (fits < n).then_some(next + fits as u32));
                    next += n as u32;
                }
                Op::Pop => prop_assert_eq!(rx.pop(), model.pop_front()),
                Op::PopBatch { max, take } => {
                    let batch = rx.pop_batch(max);
                    prop_assert_eq!(batch.len(), max.min(model.len()));
                    let got: Vec<u32> = batch.take(take).collect();
                    let want: Vec<u32> = (0..take.min(max).min(model.len()))
                        .filter_map(|_| model.pop_front())
                        .collect();
                    prop_assert_eq!(got, want);
                }
            }
            prop_assert_eq!(rx.len(), model.len());
        }
    }
}
