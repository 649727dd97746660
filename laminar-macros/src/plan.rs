//! The plan: what the pipeline is once validated. An IR of stages, the key,
//! and how events reach the cores, independent of syntax.

use proc_macro2::Span;
use syn::{Expr, Ident, Type};

use crate::ast::PipelineAst;
use crate::ops::{self, OpSpec, Role};

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
}

/// One stage of the per-core chain.
pub struct Step {
    /// The operator.
    pub op: &'static OpSpec,
    /// The name as written, carrying the user's span.
    pub name: Ident,
    /// The positional arguments.
    pub args: Vec<Expr>,
}

impl Step {
    /// Where errors about this step point.
    pub fn span(&self) -> Span {
        self.name.span()
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
    /// The chain each core runs.
    pub steps: Vec<Step>,
    /// Where results go.
    pub output: Output,
}

/// Plans a pipeline that `validate::check` accepted.
pub fn plan(ast: PipelineAst) -> Plan {
    let source = ast
        .source
        .expect("validation rejects a pipeline without a source");
    let mut routing = Routing::RoundRobin;
    let mut steps = Vec::new();
    let mut output = Output::Outbox;
    for stage in ast.stages {
        let op =
            ops::lookup(&stage.name.to_string()).expect("validation rejects unknown operators");
        let args: Vec<Expr> = stage
            .args
            .into_iter()
            .filter(|a| a.name().is_none())
            .map(|a| a.value().clone())
            .collect();
        match op.role {
            Role::Key => {
                routing = Routing::ByKey {
                    key: args.into_iter().next().expect("validated arity"),
                    name: stage.name,
                };
            }
            Role::Terminal => {
                output = Output::Terminal;
                steps.push(Step {
                    op,
                    name: stage.name,
                    args,
                });
            }
            Role::Transform => steps.push(Step {
                op,
                name: stage.name,
                args,
            }),
        }
    }
    Plan {
        source,
        routing,
        steps,
        output,
    }
}
