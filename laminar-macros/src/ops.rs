//! The operator table: one row of data per operator. Reading a stage takes
//! its argument kinds from it; validation its order rules; planning the
//! clock and routing it implies; generation the builder method; the docs
//! and the flowchart their words. Window shapes and aggregates are tables
//! too. Nothing elsewhere branches on an operator's name.

/// Where an operator may stand.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Placement {
    /// Anywhere before the terminal.
    Anywhere,
    /// Only at the head, before any transforming stage: it decides time at
    /// ingress, where watermarks are made.
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
    /// A `key_by` before it whose key no keyed stage has used yet.
    Key,
    /// No unused `key_by` before it: the operator keys by itself.
    NoKey,
    /// The stage right before is a window.
    Window,
    /// Every stage since the last `key_by` keeps its records as they are
    /// (the key is read from them with that `key_by`'s closure).
    KeyedEvents,
}

/// What an operator's positional arguments are.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Positional {
    /// Expressions (closures, an initial value), passed to the builder as
    /// written.
    Exprs,
    /// One window shape: a row of [`WINDOWS`].
    Shape,
    /// Aggregate calls: rows of [`AGGREGATES`] or the user's own values.
    Aggregates,
}

/// What kind of value a named argument takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArgKind {
    /// A duration: a literal with a unit (`2s`), checked at compile time,
    /// or an expression of type `std::time::Duration`, checked when the
    /// runtime is built. `zero` says whether zero is allowed.
    Duration {
        /// Zero allowed (it means "none").
        zero: bool,
    },
    /// `on_close` or `on_update`.
    Emit,
    /// Any expression, passed to the builder after the positional
    /// arguments.
    Expr,
}

/// Which setting a named argument gives; the plan reads values by it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Param {
    /// How far the watermark trails the highest timestamp.
    Lateness,
    /// After how long a silent input stops holding time back.
    Idle,
    /// How long a window's state is kept past its end.
    AllowedLateness,
    /// When a window emits.
    Emit,
    /// A keyed-state stage's timer closure.
    OnTimer,
}

/// One named argument of an operator (all are optional).
#[derive(Debug)]
pub struct NamedArg {
    /// The name users write.
    pub name: &'static str,
    /// The setting it gives.
    pub param: Param,
    /// Its kind of value.
    pub kind: ArgKind,
    /// The builder method the stage calls instead when this argument is
    /// given (its value then follows the positional arguments).
    pub method: Option<&'static str>,
    /// What it needs from the stages before.
    pub needs: &'static [Needs],
}

const fn duration(name: &'static str, param: Param, zero: bool) -> NamedArg {
    NamedArg {
        name,
        param,
        kind: ArgKind::Duration { zero },
        method: None,
        needs: &[],
    }
}

/// The clock an operator gives the pipeline.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClockKind {
    /// Time read from each event by the first positional closure.
    Event,
    /// Each core's wall clock.
    Processing,
}

/// How an operator routes events to cores at ingress.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RouteKind {
    /// By the hash of the key its first positional closure computes.
    ByKey,
    /// Everything to one core.
    ToOne,
}

impl RouteKind {
    /// The builder method that sets this routing, if it is not the
    /// operator's own.
    pub fn method(self) -> Option<&'static str> {
        match self {
            RouteKind::ByKey => None,
            RouteKind::ToOne => Some("all_to_one"),
        }
    }
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
    /// The builder method it expands to (a window's shape names its own).
    pub method: &'static str,
    /// Positional arguments: how many.
    pub arity: Arity,
    /// Positional arguments: what they are.
    pub positional: Positional,
    /// Named arguments it accepts (all optional).
    pub named: &'static [NamedArg],
    /// The clock it gives the pipeline.
    pub clock: Option<ClockKind>,
    /// The routing it gives the pipeline.
    pub route: Option<RouteKind>,
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
        positional: Positional::Exprs,
        named: &[],
        clock: None,
        route: None,
        role: Role::Transform,
        placement: Placement::Anywhere,
        needs: &[],
        keeps_events,
        usage,
    }
}

/// The named arguments of `window` and `window_all`.
const WINDOW_ARGS: &[NamedArg] = &[
    duration("allowed_lateness", Param::AllowedLateness, true),
    NamedArg {
        name: "emit",
        param: Param::Emit,
        kind: ArgKind::Emit,
        method: None,
        needs: &[],
    },
];

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
        positional: Positional::Exprs,
        named: &[],
        clock: None,
        route: Some(RouteKind::ByKey),
        role: Role::Key,
        placement: Placement::Anywhere,
        needs: &[],
        keeps_events: true,
        usage: "key_by(|event| event.field)",
    },
    OpSpec {
        name: "event_time",
        method: "event_time",
        arity: Arity::exactly(1),
        positional: Positional::Exprs,
        named: &[
            duration("lateness", Param::Lateness, true),
            duration("idle", Param::Idle, false),
        ],
        clock: Some(ClockKind::Event),
        route: None,
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
        positional: Positional::Exprs,
        named: &[],
        clock: Some(ClockKind::Processing),
        route: None,
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
        positional: Positional::Shape,
        named: WINDOW_ARGS,
        clock: None,
        route: None,
        role: Role::Window,
        placement: Placement::Anywhere,
        needs: &[Needs::Clock, Needs::Key, Needs::KeyedEvents],
        keeps_events: false,
        usage: "window(tumbling(10s))",
    },
    OpSpec {
        name: "window_all",
        method: "aligned_window",
        arity: Arity::exactly(1),
        positional: Positional::Shape,
        named: WINDOW_ARGS,
        clock: None,
        route: Some(RouteKind::ToOne),
        role: Role::Window,
        placement: Placement::Anywhere,
        needs: &[Needs::Clock, Needs::NoKey, Needs::KeyedEvents],
        keeps_events: false,
        usage: "window_all(tumbling(10s))",
    },
    OpSpec {
        name: "aggregate",
        method: "aggregate",
        arity: Arity { min: 1, max: 7 },
        positional: Positional::Aggregates,
        named: &[],
        clock: None,
        route: None,
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
        positional: Positional::Exprs,
        named: &[],
        clock: None,
        route: None,
        role: Role::Stateful,
        placement: Placement::Anywhere,
        needs: &[Needs::Key, Needs::KeyedEvents],
        keeps_events: false,
        usage: "reduce(|acc, event| new_acc)",
    },
    OpSpec {
        name: "fold",
        method: "fold",
        arity: Arity::exactly(2),
        positional: Positional::Exprs,
        named: &[],
        clock: None,
        route: None,
        role: Role::Stateful,
        placement: Placement::Anywhere,
        needs: &[Needs::Key, Needs::KeyedEvents],
        keeps_events: false,
        usage: "fold(initial, |acc, event| new_acc)",
    },
    OpSpec {
        name: "process",
        method: "process",
        arity: Arity::exactly(1),
        positional: Positional::Exprs,
        named: &[NamedArg {
            name: "on_timer",
            param: Param::OnTimer,
            kind: ArgKind::Expr,
            method: Some("process_timers"),
            needs: &[Needs::Clock],
        }],
        clock: None,
        route: None,
        role: Role::Stateful,
        placement: Placement::Anywhere,
        needs: &[Needs::Key, Needs::KeyedEvents],
        keeps_events: false,
        usage: "process(|key, event, state, out| ...)",
    },
    OpSpec {
        name: "for_each",
        method: "for_each",
        arity: Arity::exactly(1),
        positional: Positional::Exprs,
        named: &[],
        clock: None,
        route: None,
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
/// Its arguments are durations greater than zero.
#[derive(Debug)]
pub struct WindowSpec {
    /// Its name.
    pub name: &'static str,
    /// Names of its duration arguments.
    pub args: &'static [&'static str],
    /// The builder method that makes it.
    pub method: &'static str,
    /// The builder method's duration parameters, before the allowed
    /// lateness, the emit policy and the aggregate: indexes into `args`.
    pub pass: &'static [usize],
    /// Whether the `pass` durations go as one window geometry (size and
    /// slide): a `Fixed::<SIZE, SLIDE>` type when both are literals, so
    /// that the window's arithmetic divides by constants, else a
    /// `Dynamic::new(size, slide)` value.
    pub geometry: bool,
    /// `(size, slide)`: indexes of two arguments where the second must not
    /// exceed the first.
    pub within: Option<(usize, usize)>,
    /// How a call looks.
    pub usage: &'static str,
}

/// Every window shape.
pub const WINDOWS: &[WindowSpec] = &[
    WindowSpec {
        name: "tumbling",
        args: &["size"],
        method: "aligned_window",
        pass: &[0, 0],
        geometry: true,
        within: None,
        usage: "tumbling(10s)",
    },
    WindowSpec {
        name: "sliding",
        args: &["size", "slide"],
        method: "aligned_window",
        pass: &[0, 1],
        geometry: true,
        within: Some((0, 1)),
        usage: "sliding(10s, 2s)",
    },
    WindowSpec {
        name: "session",
        args: &["gap"],
        method: "session_window",
        pass: &[0],
        geometry: false,
        within: None,
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
    fn rows_are_consistent() {
        for op in OPS {
            assert_eq!(op.clock.is_some(), op.role == Role::Clock, "{}", op.name);
            assert_eq!(
                op.positional == Positional::Shape,
                op.role == Role::Window,
                "{}",
                op.name
            );
            if op.positional == Positional::Shape {
                assert_eq!(op.arity, Arity::exactly(1), "{}", op.name);
            }
            for (i, a) in op.named.iter().enumerate() {
                assert!(
                    op.named[i + 1..]
                        .iter()
                        .all(|b| b.name != a.name && b.param != a.param),
                    "{}: {}",
                    op.name,
                    a.name
                );
                assert_eq!(a.method.is_some(), a.kind == ArgKind::Expr, "{}", a.name);
                // `validate::check_named_needs` knows how to check a clock.
                assert!(a.needs.iter().all(|n| *n == Needs::Clock), "{}", a.name);
            }
        }
        for w in WINDOWS {
            assert!(w.pass.iter().all(|&i| i < w.args.len()), "{}", w.name);
            assert!(
                w.within
                    .is_none_or(|(a, b)| a < w.args.len() && b < w.args.len()),
                "{}",
                w.name
            );
        }
    }

    /// The `stream!` reference has a section for every operator: a `###`
    /// heading that shows a call of it.
    #[test]
    fn every_operator_has_a_doc_section() {
        let doc = include_str!("../../laminar/src/stream.md");
        let headings: Vec<&str> = doc.lines().filter(|l| l.starts_with("### ")).collect();
        for op in OPS {
            let call = format!("`{}(", op.name);
            assert!(
                headings.iter().any(|h| h.contains(&call)),
                "laminar/src/stream.md has no `### ` section for `{}`",
                op.name
            );
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
