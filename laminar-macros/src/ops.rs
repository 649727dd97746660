//! The operator table: one row of data per operator. Validation reads it to
//! check names, arguments and order; generation reads it to pick the
//! builder method; the docs and the flowchart read it for their words.

/// Where an operator may stand.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Placement {
    /// Anywhere before the terminal.
    Anywhere,
    /// Only directly after the source: it decides routing at ingress.
    /// Later it would need an exchange between cores.
    Head,
}

/// What an operator does to the shape of the pipeline.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// Transforms events, one chain per core.
    Transform,
    /// Sets the key the pipeline is routed by.
    Key,
    /// Ends the pipeline; nothing may follow.
    Terminal,
}

/// One operator.
#[derive(Debug)]
pub struct OpSpec {
    /// The name users write.
    pub name: &'static str,
    /// The builder method it expands to.
    pub method: &'static str,
    /// Names of the positional arguments, in order (all required).
    pub positional: &'static [&'static str],
    /// Named arguments it accepts (all optional).
    pub named: &'static [&'static str],
    /// Its role.
    pub role: Role,
    /// Where it may stand.
    pub placement: Placement,
    /// How a call looks, for help lines.
    pub usage: &'static str,
}

/// Every operator, in the order the docs list them.
pub const OPS: &[OpSpec] = &[
    OpSpec {
        name: "map",
        method: "map",
        positional: &["closure"],
        named: &[],
        role: Role::Transform,
        placement: Placement::Anywhere,
        usage: "map(|event| new_event)",
    },
    OpSpec {
        name: "filter",
        method: "filter",
        positional: &["predicate"],
        named: &[],
        role: Role::Transform,
        placement: Placement::Anywhere,
        usage: "filter(|event| condition)",
    },
    OpSpec {
        name: "filter_map",
        method: "filter_map",
        positional: &["closure"],
        named: &[],
        role: Role::Transform,
        placement: Placement::Anywhere,
        usage: "filter_map(|event| Some(new_event))",
    },
    OpSpec {
        name: "flat_map",
        method: "flat_map",
        positional: &["closure"],
        named: &[],
        role: Role::Transform,
        placement: Placement::Anywhere,
        usage: "flat_map(|event| iterable)",
    },
    OpSpec {
        name: "inspect",
        method: "inspect",
        positional: &["closure"],
        named: &[],
        role: Role::Transform,
        placement: Placement::Anywhere,
        usage: "inspect(|event| ...)",
    },
    OpSpec {
        name: "key_by",
        method: "key_by",
        positional: &["key"],
        named: &[],
        role: Role::Key,
        placement: Placement::Head,
        usage: "key_by(|event| event.field)",
    },
    OpSpec {
        name: "for_each",
        method: "for_each",
        positional: &["closure"],
        named: &[],
        role: Role::Terminal,
        placement: Placement::Anywhere,
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
    }
}
