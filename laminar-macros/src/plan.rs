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
}

/// One stage of the per-core chain.
// One value per pipeline, made once per expansion: size does not matter.
#[allow(clippy::large_enum_variant)]
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

/// Plans a pipeline whose stages `read` and `validate` accepted.
pub fn plan(source: Type, stages: &[Stage]) -> syn::Result<Plan> {
    let mut routing = Routing::RoundRobin;
    let mut clock = Clock::None;
    let mut steps = Vec::new();
    let mut output = Output::Outbox;
    let mut window: Option<(&Stage, &Shape)> = None;
    for stage in stages {
        let op = stage.op;
        let name = stage.ast.name.clone();
        match op.route {
            Some(RouteKind::ByKey) => {
                routing = Routing::ByKey {
                    method: op.method,
                    key: first_expr(stage)?,
                    name: name.clone(),
                };
            }
            Some(kind @ RouteKind::ToOne) => {
                routing = Routing::ToOne {
                    method: kind.method().unwrap_or(op.method),
                };
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
        source,
        routing,
        clock,
        steps,
        output,
    })
}
