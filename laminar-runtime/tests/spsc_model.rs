//! The SPSC ring against a `VecDeque` on one thread: random sequences of
//! single and batched pushes and pops, unpublished pushes and publishes,
//! batches dropped part-way, on small rings so that every run crosses the end
//! of the slots many times. Each operation must return exactly what the
//! model returns, and the consumer must see exactly the published items.

use std::collections::VecDeque;

use laminar_runtime::spsc;
use proptest::prelude::*;

#[derive(Clone, Debug)]
enum Op {
    Push,
    PushUnpublished,
    Publish,
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
        Just(Op::PushUnpublished),
        Just(Op::Publish),
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
        // How many items at the back of `model` are pushed but unpublished.
        let mut unpublished = 0usize;
        let mut next = 0u32;
        for op in ops {
            match op {
                Op::Push => {
                    let result = tx.push(next);
                    if model.len() < cap {
                        prop_assert!(result.is_ok());
                        model.push_back(next);
                        unpublished = 0;
                    } else {
                        prop_assert_eq!(result.unwrap_err().0, next);
                    }
                    next += 1;
                }
                Op::PushUnpublished => {
                    // Unpublished items take slots all the same.
                    let result = tx.push_unpublished(next);
                    if model.len() < cap {
                        prop_assert!(result.is_ok());
                        model.push_back(next);
                        unpublished += 1;
                    } else {
                        prop_assert_eq!(result.unwrap_err().0, next);
                    }
                    next += 1;
                }
                Op::Publish => {
                    tx.publish();
                    unpublished = 0;
                }
                Op::PushIter(n) => {
                    let mut src = next..next + n as u32;
                    let pushed = tx.push_iter(&mut src);
                    let fits = n.min(cap - model.len());
                    prop_assert_eq!(pushed, fits);
                    model.extend(next..next + fits as u32);
                    if fits > 0 {
                        unpublished = 0;
                    }
                    // What did not fit is still in the iterator.
                    prop_assert_eq!(src.next(), (fits < n).then_some(next + fits as u32));
                    next += n as u32;
                }
                Op::Pop => {
                    let want = (model.len() > unpublished).then(|| model.pop_front()).flatten();
                    prop_assert_eq!(rx.pop(), want);
                }
                Op::PopBatch { max, take } => {
                    let visible = model.len() - unpublished;
                    let batch = rx.pop_batch(max);
                    prop_assert_eq!(batch.len(), max.min(visible));
                    let got: Vec<u32> = batch.take(take).collect();
                    let want: Vec<u32> = (0..take.min(max).min(visible))
                        .filter_map(|_| model.pop_front())
                        .collect();
                    prop_assert_eq!(got, want);
                }
            }
            prop_assert_eq!(rx.len(), model.len() - unpublished);
        }
    }
}
