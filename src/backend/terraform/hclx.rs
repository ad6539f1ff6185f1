//! Small constructors over hcl-rs for the generated roots: references, strings, objects and
//! function calls as typed `hcl::Expression`s.
//!
//! Every piece of model-dependent HCL is built from these, never by gluing text together.
//! This module knows HCL, not Terraform: it must not name a provider or a resource type.

use hcl::Identifier;
use hcl::expr::{Expression, FuncCall, Object, ObjectKey, Traversal, TraversalOperator, Variable};

/// A reference such as `var.region` or `module.network.vpc_id`: a root variable followed by
/// attribute accesses. Segments made of digits become index operators (`aws_x.y.0`).
pub fn r(path: &str) -> Expression {
    let mut parts = path.split('.');
    let root = parts.next().unwrap_or_default();
    let ops: Vec<TraversalOperator> = parts
        .map(|p| match p.parse::<u64>() {
            Ok(n) => TraversalOperator::Index(n.into()),
            Err(_) => TraversalOperator::GetAttr(p.into()),
        })
        .collect();
    let var = Variable::unchecked(root);
    if ops.is_empty() {
        Expression::Variable(var)
    } else {
        Expression::from(Traversal::new(var, ops))
    }
}

/// `<base>[<key>]<.rest>`: `module.postgres[each.key].host` is `ri("module.postgres", r("each.key"), "host")`.
pub fn ri(base: &str, key: Expression, rest: &str) -> Expression {
    let Expression::Traversal(t) = r(&format!("{base}.x")) else {
        unreachable!("a dotted path with two segments is a traversal")
    };
    let mut ops = t.operators;
    ops.pop();
    ops.push(TraversalOperator::Index(key));
    ops.extend(
        rest.split('.')
            .filter(|p| !p.is_empty())
            .map(|p| TraversalOperator::GetAttr(p.into())),
    );
    Expression::from(Traversal::new(t.expr, ops))
}

/// A string literal.
pub fn s(value: impl Into<String>) -> Expression {
    Expression::String(value.into())
}

/// An object expression with keys in the given order.
pub fn obj<K: Into<String>>(items: impl IntoIterator<Item = (K, Expression)>) -> Expression {
    let object: Object<ObjectKey, Expression> = items
        .into_iter()
        .map(|(k, v)| (ObjectKey::Identifier(Identifier::unchecked(k.into())), v))
        .collect();
    Expression::Object(object)
}

/// An array expression.
pub fn arr(items: impl IntoIterator<Item = Expression>) -> Expression {
    Expression::Array(items.into_iter().collect())
}

/// A function call `name(args...)`.
pub fn call(name: &str, args: impl IntoIterator<Item = Expression>) -> Expression {
    let mut builder = FuncCall::builder(name);
    for arg in args {
        builder = builder.arg(arg);
    }
    Expression::from(builder.build())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn show(e: &Expression) -> String {
        hcl::format::to_string(e).unwrap()
    }

    #[test]
    fn references() {
        assert_eq!(show(&r("var.region")), "var.region");
        assert_eq!(
            show(&r("aws_eks_cluster.this.identity.0.oidc")),
            "aws_eks_cluster.this.identity[0].oidc"
        );
        assert_eq!(
            show(&ri("module.postgres", r("each.key"), "host")),
            "module.postgres[each.key].host"
        );
    }
}
