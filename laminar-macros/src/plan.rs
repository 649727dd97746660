//! The plan: what the pipeline is once validated. An IR of stages, the key,
//! the clock and how events reach the cores, independent of syntax.

use proc_macro2::Span;
use quote::ToTokens;
use syn::{Expr, Ident, Type};

use crate::ops::{ArgKind, ClockKind, OpSpec, Param, Role, RouteKind};
use crate::read::{Args, Stage, Value};
use crate::time::{AggCall, Dur, Emit, Shape};

/// How events are spread over the cores at ingress.
pub enum Routing {
    /// Round-robin: no key.
    RoundRobin,
    /// By the hash of a key, computed by this closure.
    ByKey {
        /// The builder method.
        method: &'static str,
        /// The key closure.
        key: Expr,
        /// The `key_by` stage's name, for spans.
        name: Ident,
    },
    /// All to one core (`window_all`), set by this builder method.
    ToOne {
        /// The method.
        method: &'static str,
    },
}

/// The pipeline's notion of time.
// One value per pipeline, made once per expansion: size does not matter.
#[allow(clippy::large_enum_variant)]
pub enum Clock {
    /// None: no windows.
    None,
    /// Event time from the events.
    Event {
        /// The builder method.
        method: &'static str,
        /// The timestamp closure.
        extractor: Expr,
        /// How far the watermark trails the highest timestamp.
        lateness: Dur,
        /// After how long an idle input stops holding time back.
        idle: Option<Dur>,
        /// The stage's name, for spans.
        name: Ident,
        /// The stage as written, for the runtime's errors about durations.
        label: String,
    },
    /// The wall clock of each core.
    Processing {
        /// The builder method.
        method: &'static str,
        /// The stage's name, for spans.
        name: Ident,
    },
}

/// A window and its aggregate.
pub struct WindowPlan {
    /// The `window`/`window_all` name as written.
    pub name: Ident,
    /// The `aggregate` name as written.
    pub aggregate: Ident,
    /// Tumbling, sliding or session, with its durations.
    pub shape: Shape,
    /// How long state is kept past a window's end for late events.
    pub allowed_lateness: Dur,
    /// When the window emits.
    pub emit: Emit,
    /// The aggregates, in order.
    pub aggs: Vec<AggCall>,
    /// Labels for the flowchart: the window's and the aggregate's tokens.
    pub labels: (String, String),
    /// A `window_all` run in two phases: per core, then merged on core 0.
    pub two_phase: bool,
}

/// One stage of the per-core chain.
// One value per pipeline, made once per expansion: size does not matter.
#[allow(clippy::large_enum_variant)]
pub enum Step {
    /// A `key_by` after other stages: an exchange between cores, by the
    /// key this closure computes. The stages after it form a new segment.
    Exchange {
        /// The `key_by` as written.
        name: Ident,
        /// The key closure.
        key: Expr,
        /// Its tokens, for the flowchart.
        label: String,
    },
    /// A `window_all` after an exchange: every record goes to core 0.
    Gather {
        /// The `window_all` as written.
        name: Ident,
    },
    /// A one-closure stage.
    Stage {
        /// The operator.
        op: &'static OpSpec,
        /// The name as written, carrying the user's span.
        name: Ident,
        /// The positional arguments.
        args: Vec<Expr>,
    },
    /// A window with its aggregate.
    Window(WindowPlan),
    /// Fan-out: a flow that reads the stream here, beside the stages after
    /// it, and ends in a sink.
    Tee {
        /// The side flow, headed by [`Head::Fork`].
        side: Box<Plan>,
        /// Where errors about it point: its first stage.
        span: Span,
    },
    /// Several outputs: each record goes to both flows, each headed by
    /// [`Head::Fork`]; what they emit is the left and the right of the
    /// output.
    Split {
        /// The first output's flow.
        left: Box<Plan>,
        /// The other outputs' (a split again for more than two).
        right: Box<Plan>,
    },
    /// A stage with keyed state.
    Stateful {
        /// The operator.
        op: &'static OpSpec,
        /// The builder method: the operator's, or the one a named
        /// argument asks for (`process(.., on_timer = ..)`).
        method: &'static str,
        /// The name as written.
        name: Ident,
        /// The positional arguments.
        args: Vec<Expr>,
        /// The named expressions given, passed after them.
        extra: Vec<Expr>,
        /// The name of its state: unique in the pipeline, stable across
        /// runs (a file name under the runtime's state directory).
        state_name: String,
    },
}

impl Step {
    /// Where errors about this step point.
    pub fn span(&self) -> Span {
        match self {
            Step::Stage { name, .. }
            | Step::Stateful { name, .. }
            | Step::Exchange { name, .. }
            | Step::Gather { name } => name.span(),
            Step::Window(w) => w.aggregate.span(),
            Step::Tee { span, .. } => *span,
            Step::Split { left, .. } => left.steps.first().map_or_else(Span::call_site, Step::span),
        }
    }
}

/// Where the chain's results go.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Output {
    /// To the runtime's per-core outboxes.
    Outbox,
    /// Consumed by a terminal stage.
    Terminal,
}

/// Where a flow's records come from.
pub enum Head {
    /// An input of this event type.
    Source(Type),
    /// A `union` of these flows.
    Union {
        /// `union` as written.
        name: Ident,
        /// The flows joined, in order: each side of the union's input.
        sides: Vec<Plan>,
        /// Where each side is named in `union(..)`.
        at: Vec<Span>,
    },
    /// The stream of the stages before a [`Step::Tee`].
    Fork,
    /// A join of two flows, each keyed by the closure given.
    Join(Box<JoinPlan>),
}

/// A join: its two sides, their keys, how rows pair, and what each pair
/// makes.
pub struct JoinPlan {
    /// `join` or `left_join` as written.
    pub name: Ident,
    /// The sides: each flow without its last `key_by`, whose closure is
    /// the side's key.
    pub sides: [Plan; 2],
    /// The sides' keys.
    pub keys: [Expr; 2],
    /// Where each side is named in the join.
    pub at: [Span; 2],
    /// The closure that builds a result from a pair.
    pub build: Expr,
    /// How rows pair.
    pub kind: JoinKind,
}

/// How a join pairs rows.
#[derive(Clone)]
pub enum JoinKind {
    /// `between = (lower, upper)`: the right row's time within the left's
    /// plus the bounds, in milliseconds; `outer` for `left_join`.
    Interval {
        /// Lower bound.
        lower: i64,
        /// Upper bound.
        upper: i64,
        /// Whether left rows without a pair are emitted.
        outer: bool,
    },
    /// `window = tumbling(..)` or `sliding(..)`.
    Window(Shape),
    /// `table(b)`: the right side is a table of changes, read as of each
    /// left row's time; `outer` for `left_join`.
    Table {
        /// Whether rows whose key has no value are emitted.
        outer: bool,
    },
}

/// A validated pipeline, or one flow of a graph.
pub struct Plan {
    /// Where its records come from.
    pub head: Head,
    /// Ingress routing.
    pub routing: Routing,
    /// The clock.
    pub clock: Clock,
    /// The chain each core runs.
    pub steps: Vec<Step>,
    /// Where results go.
    pub output: Output,
}

/// An error for a state that `read` and `validate` rule out: the plan
/// reports it instead of panicking.
fn internal(span: Span, what: &str) -> syn::Error {
    syn::Error::new(
        span,
        format!("internal error in `stream!`: {what}; please report this pipeline"),
    )
}

/// The first positional expression of `stage`.
fn first_expr(stage: &Stage) -> syn::Result<Expr> {
    stage
        .exprs()
        .first()
        .cloned()
        .ok_or_else(|| internal(stage.ast.name.span(), "a closure is missing"))
}

/// The stage's tokens as a person would write them.
fn text(stage: &Stage) -> String {
    crate::describe::tidy_text(&stage.ast.tokens().to_string())
}

/// Whether a window stage can run in two phases, were it a `window_all`:
/// a tumbling or sliding window that fires each window once (`on_close`,
/// no allowed lateness), so that each core's accumulator of a window is
/// final when it is sent.
fn two_phase(stage: &Stage) -> bool {
    matches!(&stage.args, Args::Shape(shape) if shape.spec.geometry)
        && stage.emit(Param::Emit).unwrap_or_default() == Emit::OnClose
        && matches!(
            stage.duration(Param::AllowedLateness),
            None | Some(Dur::Millis(0))
        )
}

/// One item of a flow to plan: a stage, or a side flow (fan-out) that
/// reads the stream at that point.
pub enum Item<'a> {
    /// A stage.
    Stage(&'a Stage<'a>),
    /// A side flow, with its first stage's span.
    Tee(Vec<Item<'a>>, Span),
    /// Several outputs: the flow of each.
    Split(Vec<Vec<Item<'a>>>),
}

/// Plans a pipeline whose stages `read` and `validate` accepted.
pub fn plan(source: Type, stages: &[Stage]) -> syn::Result<Plan> {
    let items: Vec<Item> = stages.iter().map(Item::Stage).collect();
    plan_flow(Head::Source(source), &items)
}

/// The split of several outputs' flows, nested to the right: `a`, then
/// the split of the rest.
fn split(branches: &[Vec<Item>]) -> syn::Result<Step> {
    let (first, rest) = branches
        .split_first()
        .ok_or_else(|| internal(Span::call_site(), "a split without outputs"))?;
    let right = match rest {
        [] => return Err(internal(Span::call_site(), "a split of one output")),
        [only] => plan_flow(Head::Fork, only)?,
        more => Plan {
            head: Head::Fork,
            routing: Routing::RoundRobin,
            clock: Clock::None,
            steps: vec![split(more)?],
            output: Output::Outbox,
        },
    };
    Ok(Step::Split {
        left: Box::new(plan_flow(Head::Fork, first)?),
        right: Box::new(right),
    })
}

/// Plans one flow of a graph, from its head.
pub fn plan_flow(head: Head, items: &[Item]) -> syn::Result<Plan> {
    let mut routing = Routing::RoundRobin;
    let mut clock = Clock::None;
    let mut steps = Vec::new();
    let mut output = Output::Outbox;
    let mut window: Option<(&Stage, &Shape)> = None;
    // Only an input routes at ingress; a union's or a fork's records are
    // already on their cores, and moving them is an exchange.
    let ingress = matches!(head, Head::Source(_));
    for item in items {
        let stage = match item {
            Item::Stage(stage) => *stage,
            Item::Tee(side, span) => {
                steps.push(Step::Tee {
                    side: Box::new(plan_flow(Head::Fork, side)?),
                    span: *span,
                });
                continue;
            }
            Item::Split(branches) => {
                steps.push(split(branches)?);
                continue;
            }
        };
        let op = stage.op;
        let name = stage.ast.name.clone();
        // Events are routed as they enter while no stage has run yet;
        // later, routing is an exchange between cores.
        let at_ingress = ingress && steps.is_empty() && matches!(routing, Routing::RoundRobin);
        match op.route {
            Some(RouteKind::ByKey) if at_ingress => {
                routing = Routing::ByKey {
                    method: op.method,
                    key: first_expr(stage)?,
                    name: name.clone(),
                };
            }
            Some(RouteKind::ByKey) => steps.push(Step::Exchange {
                name: name.clone(),
                key: first_expr(stage)?,
                label: text(stage),
            }),
            // A `window_all` that fires each window once runs in two
            // phases: no routing, each core aggregates its own records.
            Some(RouteKind::ToOne) if two_phase(stage) => {}
            Some(kind @ RouteKind::ToOne) => {
                let exchanged = !ingress
                    || !matches!(routing, Routing::RoundRobin)
                    || steps
                        .iter()
                        .any(|s| matches!(s, Step::Exchange { .. } | Step::Gather { .. }));
                if exchanged {
                    steps.push(Step::Gather { name: name.clone() });
                } else {
                    routing = Routing::ToOne {
                        method: kind.method().unwrap_or(op.method),
                    };
                }
            }
            None => {}
        }
        match op.clock {
            Some(ClockKind::Event) => {
                clock = Clock::Event {
                    method: op.method,
                    extractor: first_expr(stage)?,
                    lateness: stage
                        .duration(Param::Lateness)
                        .cloned()
                        .unwrap_or(Dur::Millis(0)),
                    idle: stage.duration(Param::Idle).cloned(),
                    name: name.clone(),
                    label: text(stage),
                };
            }
            Some(ClockKind::Processing) => {
                clock = Clock::Processing {
                    method: op.method,
                    name: name.clone(),
                };
            }
            None => {}
        }
        match op.role {
            Role::Key | Role::Clock => {}
            Role::Window => match &stage.args {
                Args::Shape(shape) => window = Some((stage, shape)),
                _ => return Err(internal(name.span(), "a window has no shape")),
            },
            Role::Aggregate => {
                let (w, shape) = window
                    .take()
                    .ok_or_else(|| internal(name.span(), "`aggregate` has no window"))?;
                let Args::Aggregates(aggs) = &stage.args else {
                    return Err(internal(name.span(), "`aggregate` has no aggregates"));
                };
                steps.push(Step::Window(WindowPlan {
                    name: w.ast.name.clone(),
                    aggregate: name,
                    shape: shape.clone(),
                    allowed_lateness: w
                        .duration(Param::AllowedLateness)
                        .cloned()
                        .unwrap_or(Dur::Millis(0)),
                    emit: w.emit(Param::Emit).unwrap_or_default(),
                    aggs: aggs.clone(),
                    labels: (
                        w.ast.tokens().to_token_stream().to_string(),
                        stage.ast.tokens().to_token_stream().to_string(),
                    ),
                    two_phase: w.op.route == Some(RouteKind::ToOne) && two_phase(w),
                }));
            }
            Role::Stateful => {
                let state_name = format!("{}-{}", steps.len(), op.name);
                let mut method = op.method;
                let mut extra = Vec::new();
                for attr in &stage.named {
                    if let (ArgKind::Expr, Some(Value::Expr(e))) = (attr.spec.kind, attr.get()) {
                        method = attr.spec.method.unwrap_or(method);
                        extra.push(e.clone());
                    }
                }
                steps.push(Step::Stateful {
                    op,
                    method,
                    name,
                    args: stage.exprs().to_vec(),
                    extra,
                    state_name,
                });
            }
            Role::Terminal | Role::Transform => {
                if op.role == Role::Terminal {
                    output = Output::Terminal;
                }
                steps.push(Step::Stage {
                    op,
                    name,
                    args: stage.exprs().to_vec(),
                });
            }
        }
    }
    Ok(Plan {
        head,
        routing,
        clock,
        steps,
        output,
    })
}
