//! The idempotent-upsert sink: results reach the upsert at once, a replay
//! after a crash upserts the same keys again, and there is no transaction.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use laminar_runtime::sink::{self, Sink, SinkError, SinkWriter};

#[derive(Debug, Clone, PartialEq, Eq)]
struct Row {
    epoch: u64,
    n: u32,
}

fn row(epoch: u64, n: u32) -> Row {
    Row { epoch, n }
}

#[test]
fn idempotent_sink_upserts_at_once_and_replays_harmlessly() {
    let table: Arc<Mutex<BTreeMap<(u64, u32), Row>>> = Arc::default();
    let t = Arc::clone(&table);
    let mut upserts = sink::idempotent(move |r: &Row| {
        t.lock().unwrap().insert((r.epoch, r.n), r.clone());
        Ok(())
    });
    let committer = upserts.committer();
    let mut w = upserts.writer(0, 1, 0).unwrap();
    w.write(row(1, 0)).unwrap();
    // Delivered before any checkpoint.
    assert_eq!(table.lock().unwrap().len(), 1);
    let p = w.pre_commit(1).unwrap();
    assert_eq!((p.epoch, p.core, p.data.len()), (1, 0, 0));
    committer.commit(&p).unwrap();
    w.write(row(2, 0)).unwrap();
    drop(w); // crash before checkpoint 2

    // Recovery from 1 replays (2, 0, 0): the same key, the same value.
    committer.commit(&p).unwrap();
    committer.abort_others(&[p]).unwrap();
    let mut w = upserts.writer(0, 1, 1).unwrap();
    w.write(row(2, 0)).unwrap();
    assert!(matches!(
        w.pre_commit(1),
        Err(SinkError::EpochOrder { epoch: 1, last: 1 })
    ));
    w.pre_commit(2).unwrap();
    let rows: Vec<Row> = table.lock().unwrap().values().cloned().collect();
    assert_eq!(rows, [row(1, 0), row(2, 0)]);

    // An error of the upsert is the write's.
    let mut failing = sink::idempotent(|_: &Row| Err(SinkError::BadTransaction("refused".into())));
    let mut w = failing.writer(0, 1, 0).unwrap();
    assert!(w.write(row(1, 0)).is_err());
}
