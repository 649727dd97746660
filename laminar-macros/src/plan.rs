//! The plan: what the pipeline is once validated. An IR of stages, the key,
//! the clock and how events reach the cores, independent of syntax.

use proc_macro2::Span;
use syn::{Expr, Ident, Type};

use crate::ast::{Arg, PipelineAst, StageAst};
use crate::ops::{self, OpSpec, Role};
use crate::time::{self, AggCall, Shape};

/// How events are spread over the cores at ingress.
pub enum Routing {
    /// Round-robin: no key.
    RoundRobin,
    /// By the hash of a key, computed by this closure.
    ByKey {
        /// The key closure.
        key: Expr,
        /// The `key_by` stage's name, for spans.
        name: Ident,
    },
    /// All to one core: `window_all`.
    ToOne,
}

/// The pipeline's notion of time.
pub enum Clock {
    /// None: no windows.
    None,
    /// Event time from the events.
    Event {
        /// The timestamp closure.
        extractor: Expr,
        /// How far the watermark trails the highest timestamp, in ms.
        lateness: u64,
        /// After how long an idle input stops holding time back, in ms.
        idle: Option<u64>,
        /// The stage's name, for spans.
        name: Ident,
    },
    /// The wall clock of each core.
    Processing {
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
    /// Tumbling, sliding or session.
    pub shape: Shape,
    /// How long state is kept past a window's end for late events, in ms.
    pub allowed_lateness: u64,
    /// Emit after every update instead of at close.
    pub on_update: bool,
    /// The aggregates, in order.
    pub aggs: Vec<AggCall>,
    /// Labels for the flowchart: the window's and the aggregate's tokens.
    pub labels: (String, String),
}

/// One stage of the per-core chain.
pub enum Step {
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
    /// A stage with keyed state.
    Stateful {
        /// The operator.
        op: &'static OpSpec,
        /// The name as written.
        name: Ident,
        /// The positional arguments.
        args: Vec<Expr>,
        /// `process`'s `on_timer`, if given.
        on_timer: Option<Expr>,
        /// The name of its state: unique in the pipeline, stable across
        /// runs (a file name under the runtime's state directory).
        state_name: String,
    },
}

impl Step {
    /// Where errors about this step point.
    pub fn span(&self) -> Span {
        match self {
            Step::Stage { name, .. } | Step::Stateful { name, .. } => name.span(),
            Step::Window(w) => w.aggregate.span(),
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

/// A validated pipeline.
pub struct Plan {
    /// The event type.
    pub source: Type,
    /// Ingress routing.
    pub routing: Routing,
    /// The clock.
    pub clock: Clock,
    /// The chain each core runs.
    pub steps: Vec<Step>,
    /// Where results go.
    pub output: Output,
}

fn positional(stage: &StageAst) -> Vec<Expr> {
    stage
        .args
        .iter()
        .filter(|a| a.name().is_none())
        .map(|a| a.value().clone())
        .collect()
}

fn named<'a>(stage: &'a StageAst, name: &str) -> Option<&'a Expr> {
    stage.args.iter().find_map(|a| match a {
        Arg::Named { name: n, value, .. } if n == name => Some(value),
        _ => None,
    })
}

/// Plans a pipeline that `validate::check` accepted.
pub fn plan(ast: PipelineAst) -> Plan {
    let source = ast
        .source
        .expect("validation rejects a pipeline without a source");
    let mut routing = Routing::RoundRobin;
    let mut clock = Clock::None;
    let mut steps = Vec::new();
    let mut output = Output::Outbox;
    let mut window: Option<&StageAst> = None;
    for stage in &ast.stages {
        let op =
            ops::lookup(&stage.name.to_string()).expect("validation rejects unknown operators");
        let name = stage.name.clone();
        match op.role {
            Role::Key => {
                routing = Routing::ByKey {
                    key: positional(stage).remove(0),
                    name,
                };
            }
            Role::Clock if op.name == "processing_time" => clock = Clock::Processing { name },
            Role::Clock => {
                clock = Clock::Event {
                    extractor: positional(stage).remove(0),
                    lateness: named(stage, "lateness")
                        .map_or(0, |e| time::duration(e, true, "").expect("validated")),
                    idle: named(stage, "idle")
                        .map(|e| time::duration(e, false, "").expect("validated")),
                    name,
                };
            }
            Role::Window => {
                if op.name == "window_all" {
                    routing = Routing::ToOne;
                }
                window = Some(stage);
            }
            Role::Aggregate => {
                let w = window
                    .take()
                    .expect("validation puts a window before aggregate");
                let args = positional(stage);
                steps.push(Step::Window(WindowPlan {
                    name: w.name.clone(),
                    aggregate: name,
                    shape: time::shape(&positional(w)[0]).expect("validated"),
                    allowed_lateness: named(w, "allowed_lateness")
                        .map_or(0, |e| time::duration(e, true, "").expect("validated")),
                    on_update: named(w, "emit")
                        .is_some_and(|e| time::emit_policy(e).expect("validated")),
                    aggs: time::aggregates(&args).unwrap_or_else(|_| unreachable!("validated")),
                    labels: (
                        quote::ToTokens::to_token_stream(&w.tokens()).to_string(),
                        quote::ToTokens::to_token_stream(&stage.tokens()).to_string(),
                    ),
                }));
            }
            Role::Stateful => {
                let state_name = format!("{}-{}", steps.len(), op.name);
                steps.push(Step::Stateful {
                    op,
                    name,
                    args: positional(stage),
                    on_timer: named(stage, "on_timer").cloned(),
                    state_name,
                });
            }
            Role::Terminal => {
                output = Output::Terminal;
                steps.push(Step::Stage {
                    op,
                    name,
                    args: positional(stage),
                });
            }
            Role::Transform => steps.push(Step::Stage {
                op,
                name,
                args: positional(stage),
            }),
        }
    }
    Plan {
        source,
        routing,
        clock,
        steps,
        output,
    }
}
