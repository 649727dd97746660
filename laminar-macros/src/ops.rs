//! The operator table: one row of data per operator. Validation reads it to
//! check names, arguments and order; generation reads it to pick the
//! builder method; the docs and the flowchart read it for their words.

/// Where an operator may stand.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Placement {
    /// Anywhere before the terminal.
    Anywhere,
    /// Only at the head, before any transforming stage: it decides routing
    /// or time at ingress. Later it would need an exchange between cores.
    Head,
}

/// What an operator does to the shape of the pipeline.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// Transforms events, one chain per core.
    Transform,
    /// Sets the key the pipeline is routed by.
    Key,
    /// Sets the pipeline's clock.
    Clock,
    /// Opens a window; an `aggregate` must follow.
    Window,
    /// Closes a window with its aggregates.
    Aggregate,
    /// Keeps state per key: `reduce`, `fold`, `process`.
    Stateful,
    /// Ends the pipeline; nothing may follow.
    Terminal,
}

/// Something an operator needs from the stages before it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Needs {
    /// An `event_time` or `processing_time` at the head.
    Clock,
    /// A `key_by` at the head.
    Key,
    /// No `key_by`: the operator keys by itself.
    NoKey,
    /// The stage right before is a window.
    Window,
    /// Every stage since the head keeps the source events as they are
    /// (their key and time are read from them).
    SourceEvents,
}

/// How many positional arguments.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Arity {
    /// At least.
    pub min: usize,
    /// At most.
    pub max: usize,
}

impl Arity {
    const fn exactly(n: usize) -> Self {
        Arity { min: n, max: n }
    }
}

/// One operator.
#[derive(Debug)]
pub struct OpSpec {
    /// The name users write.
    pub name: &'static str,
    /// The builder method it expands to.
    pub method: &'static str,
    /// Positional arguments.
    pub arity: Arity,
    /// Named arguments it accepts (all optional).
    pub named: &'static [&'static str],
    /// Its role.
    pub role: Role,
    /// Where it may stand.
    pub placement: Placement,
    /// What must precede it.
    pub needs: &'static [Needs],
    /// Whether its output is its input, unchanged in type and content
    /// (a window may still follow it).
    pub keeps_events: bool,
    /// How a call looks, for help lines.
    pub usage: &'static str,
}

const fn transform(name: &'static str, usage: &'static str, keeps_events: bool) -> OpSpec {
    OpSpec {
        name,
        method: name,
        arity: Arity::exactly(1),
        named: &[],
        role: Role::Transform,
        placement: Placement::Anywhere,
        needs: &[],
        keeps_events,
        usage,
    }
}

/// Every operator, in the order the docs list them.
pub const OPS: &[OpSpec] = &[
    transform("map", "map(|event| new_event)", false),
    transform("filter", "filter(|event| condition)", true),
    transform("filter_map", "filter_map(|event| Some(new_event))", false),
    transform("flat_map", "flat_map(|event| iterable)", false),
    transform("inspect", "inspect(|event| ...)", true),
    OpSpec {
        name: "key_by",
        method: "key_by",
        arity: Arity::exactly(1),
        named: &[],
        role: Role::Key,
        placement: Placement::Head,
        needs: &[],
        keeps_events: true,
        usage: "key_by(|event| event.field)",
    },
    OpSpec {
        name: "event_time",
        method: "event_time",
        arity: Arity::exactly(1),
        named: &["lateness", "idle"],
        role: Role::Clock,
        placement: Placement::Head,
        needs: &[],
        keeps_events: true,
        usage: "event_time(|event| event.timestamp_ms, lateness = 2s)",
    },
    OpSpec {
        name: "processing_time",
        method: "processing_time",
        arity: Arity::exactly(0),
        named: &[],
        role: Role::Clock,
        placement: Placement::Head,
        needs: &[],
        keeps_events: true,
        usage: "processing_time()",
    },
    OpSpec {
        name: "window",
        method: "aligned_window",
        arity: Arity::exactly(1),
        named: &["allowed_lateness", "emit"],
        role: Role::Window,
        placement: Placement::Anywhere,
        needs: &[Needs::Clock, Needs::Key, Needs::SourceEvents],
        keeps_events: false,
        usage: "window(tumbling(10s))",
    },
    OpSpec {
        name: "window_all",
        method: "aligned_window",
        arity: Arity::exactly(1),
        named: &["allowed_lateness", "emit"],
        role: Role::Window,
        placement: Placement::Anywhere,
        needs: &[Needs::Clock, Needs::NoKey, Needs::SourceEvents],
        keeps_events: false,
        usage: "window_all(tumbling(10s))",
    },
    OpSpec {
        name: "aggregate",
        method: "aggregate",
        arity: Arity { min: 1, max: 7 },
        named: &[],
        role: Role::Aggregate,
        placement: Placement::Anywhere,
        needs: &[Needs::Window],
        keeps_events: false,
        usage: "aggregate(count(), max(|event| event.value))",
    },
    OpSpec {
        name: "reduce",
        method: "reduce",
        arity: Arity::exactly(1),
        named: &[],
        role: Role::Stateful,
        placement: Placement::Anywhere,
        needs: &[Needs::Key, Needs::SourceEvents],
        keeps_events: false,
        usage: "reduce(|acc, event| new_acc)",
    },
    OpSpec {
        name: "fold",
        method: "fold",
        arity: Arity::exactly(2),
        named: &[],
        role: Role::Stateful,
        placement: Placement::Anywhere,
        needs: &[Needs::Key, Needs::SourceEvents],
        keeps_events: false,
        usage: "fold(initial, |acc, event| new_acc)",
    },
    OpSpec {
        name: "process",
        method: "process",
        arity: Arity::exactly(1),
        named: &["on_timer"],
        role: Role::Stateful,
        placement: Placement::Anywhere,
        needs: &[Needs::Key, Needs::SourceEvents],
        keeps_events: false,
        usage: "process(|key, event, state, out| ...)",
    },
    OpSpec {
        name: "for_each",
        method: "for_each",
        arity: Arity::exactly(1),
        named: &[],
        role: Role::Terminal,
        placement: Placement::Anywhere,
        needs: &[],
        keeps_events: false,
        usage: "for_each(|event| ...)",
    },
];

/// The operator called `name`.
pub fn lookup(name: &str) -> Option<&'static OpSpec> {
    OPS.iter().find(|op| op.name == name)
}

/// Every operator name, comma-separated, for help lines.
pub fn names() -> String {
    OPS.iter().map(|op| op.name).collect::<Vec<_>>().join(", ")
}

/// A window shape: `tumbling(size)`, `sliding(size, slide)`, `session(gap)`.
#[derive(Debug)]
pub struct WindowSpec {
    /// Its name.
    pub name: &'static str,
    /// Names of its duration arguments.
    pub args: &'static [&'static str],
    /// How a call looks.
    pub usage: &'static str,
}

/// Every window shape.
pub const WINDOWS: &[WindowSpec] = &[
    WindowSpec {
        name: "tumbling",
        args: &["size"],
        usage: "tumbling(10s)",
    },
    WindowSpec {
        name: "sliding",
        args: &["size", "slide"],
        usage: "sliding(10s, 2s)",
    },
    WindowSpec {
        name: "session",
        args: &["gap"],
        usage: "session(30s)",
    },
];

/// A built-in aggregate: name and number of arguments.
#[derive(Debug)]
pub struct AggSpec {
    /// Its name, also the method of `Aggs` it calls.
    pub name: &'static str,
    /// Arguments (0 for `count`, else a closure).
    pub args: usize,
    /// How a call looks.
    pub usage: &'static str,
}

/// Every built-in aggregate.
pub const AGGREGATES: &[AggSpec] = &[
    AggSpec {
        name: "count",
        args: 0,
        usage: "count()",
    },
    AggSpec {
        name: "sum",
        args: 1,
        usage: "sum(|event| event.value)",
    },
    AggSpec {
        name: "min",
        args: 1,
        usage: "min(|event| event.value)",
    },
    AggSpec {
        name: "max",
        args: 1,
        usage: "max(|event| event.value)",
    },
    AggSpec {
        name: "avg",
        args: 1,
        usage: "avg(|event| event.value)",
    },
    AggSpec {
        name: "first",
        args: 1,
        usage: "first(|event| event.value)",
    },
    AggSpec {
        name: "last",
        args: 1,
        usage: "last(|event| event.value)",
    },
];

/// Duration units: suffix and milliseconds.
pub const UNITS: &[(&str, u64)] = &[("ms", 1), ("s", 1_000), ("min", 60_000), ("h", 3_600_000)];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique() {
        for (i, a) in OPS.iter().enumerate() {
            for b in &OPS[i + 1..] {
                assert_ne!(a.name, b.name);
            }
        }
    }

    #[test]
    fn usage_starts_with_name() {
        for op in OPS {
            assert!(op.usage.starts_with(op.name), "{}", op.name);
        }
        for w in WINDOWS {
            assert!(w.usage.starts_with(w.name), "{}", w.name);
        }
        for a in AGGREGATES {
            assert!(a.usage.starts_with(a.name), "{}", a.name);
        }
    }
}
