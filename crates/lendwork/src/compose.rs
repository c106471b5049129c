//! Component dependencies, composed at load time with `wac-graph` as Spin does.
//!
//! A dependency key names the import it satisfies, either one interface
//! (`lending:ledger/ledger`, optionally `@0.1.0`) or every import of a package
//! (`lending:ledger`). The dependency is instantiated once inside the composition and its
//! matching exports are plugged into the importing component; everything else either
//! imports stays an import of the composed component, so the dependency sees the same host
//! capabilities (configuration inheritance). A dependency that does not inherit
//! configuration may not import host capabilities at all — Spin 4 refuses to start such an
//! application too, and saying why here is kinder than a type mismatch.

use anyhow::{Context, Result, bail};
use wac_graph::types::Package;
use wac_graph::{CompositionGraph, EncodeOptions};

use crate::manifest::ComponentDecl;

/// Import prefixes that carry host configuration (stores, variables, outbound hosts).
const CONFIGURED_CAPABILITIES: &[&str] = &[
    "wasi:keyvalue/",
    "fermyon:spin/",
    "spin:",
    "wasi:config/",
    "wasi:http/outgoing-handler",
];

/// Returns the component's bytes with every dependency plugged in (unchanged when it has
/// none).
pub fn compose(component: &ComponentDecl, main: Vec<u8>) -> Result<Vec<u8>> {
    if component.dependencies.is_empty() {
        return Ok(main);
    }
    let mut graph = CompositionGraph::new();
    // Fixed package names: the composition's bytes then depend on the bytes composed
    // alone, so equal compositions (a challenger composed like its champion) compile once.
    let main_package = Package::from_bytes("main", None, main, graph.types_mut())
        .with_context(|| format!("component `{}` is not a valid component", component.id))?;
    let main_id = graph.register_package(main_package)?;
    let main_instance = graph.instantiate(main_id);
    let main_world = graph[main_id].ty();
    let main_imports: Vec<String> = graph.types()[main_world].imports.keys().cloned().collect();

    for (index, dependency) in component.dependencies.iter().enumerate() {
        let place = format!(
            "component `{}`, dependency `{}` ({})",
            component.id,
            dependency.import,
            dependency.path.display()
        );
        let bytes = std::fs::read(&dependency.path)
            .with_context(|| format!("{place}: cannot read the .wasm"))?;
        let package = Package::from_bytes(
            &format!("dependency-{index}"),
            None,
            bytes,
            graph.types_mut(),
        )
        .with_context(|| format!("{place}: not a valid component"))?;
        let package_id = graph.register_package(package)?;
        let world = graph[package_id].ty();
        let exports: Vec<String> = graph.types()[world].exports.keys().cloned().collect();
        let imports: Vec<String> = graph.types()[world].imports.keys().cloned().collect();
        if !dependency.inherit_configuration {
            check_no_capabilities(&imports).with_context(|| place.clone())?;
        }

        let targets: Vec<&String> = main_imports
            .iter()
            .filter(|name| import_matches(&dependency.import, name))
            .collect();
        if targets.is_empty() {
            bail!(
                "{place}: the component has no import matching `{}`",
                dependency.import
            );
        }
        let instance = graph.instantiate(package_id);
        for target in targets {
            let export = exports
                .iter()
                .find(|e| same_interface(e, target))
                .with_context(|| format!("{place}: the dependency does not export `{target}`"))?
                .clone();
            let alias = graph
                .alias_instance_export(instance, &export)
                .with_context(|| format!("{place}: export `{export}`"))?;
            graph
                .set_instantiation_argument(main_instance, target, alias)
                .map_err(|e| anyhow::anyhow!("{e}"))
                .with_context(|| {
                    format!("{place}: the dependency's `{export}` does not satisfy the import `{target}`")
                })?;
        }
    }

    let main_exports: Vec<String> = graph.types()[main_world].exports.keys().cloned().collect();
    for name in main_exports {
        let alias = graph.alias_instance_export(main_instance, &name)?;
        graph.export(alias, &name)?;
    }
    graph
        .encode(EncodeOptions::default())
        .with_context(|| format!("component `{}`: composition failed", component.id))
}

/// The imports and exports of a component's world, e.g. to check a hot-swap candidate
/// before composing it.
pub fn interfaces(name: &str, bytes: Vec<u8>) -> Result<(Vec<String>, Vec<String>)> {
    let mut graph = CompositionGraph::new();
    let package = Package::from_bytes(name, None, bytes, graph.types_mut())
        .context("not a WebAssembly component")?;
    let id = graph.register_package(package)?;
    let world = &graph.types()[graph[id].ty()];
    Ok((
        world.imports.keys().cloned().collect(),
        world.exports.keys().cloned().collect(),
    ))
}

/// Refuses a dependency that imports host capabilities (stores, variables, outbound HTTP).
pub fn check_no_capabilities(imports: &[String]) -> Result<()> {
    if let Some(import) = imports
        .iter()
        .find(|i| CONFIGURED_CAPABILITIES.iter().any(|p| i.starts_with(p)))
    {
        bail!(
            "the dependency imports `{import}` but does not inherit the component's configuration; set `inherit_configuration = true` on the dependency (Spin 4) or `dependencies_inherit_configuration = true` on the component (Spin 3)"
        );
    }
    Ok(())
}

/// Splits `ns:pkg/iface@ver` into (`ns:pkg`, `Some(iface)`, `Some(ver)`).
fn split_name(name: &str) -> (&str, Option<&str>, Option<&str>) {
    let (body, version) = match name.split_once('@') {
        Some((body, version)) => (body, Some(version)),
        None => (name, None),
    };
    match body.split_once('/') {
        Some((package, interface)) => (package, Some(interface), version),
        None => (body, None, version),
    }
}

/// Whether the manifest key `selector` selects the component import `import`.
pub fn import_matches(selector: &str, import: &str) -> bool {
    let (sel_pkg, sel_iface, sel_ver) = split_name(selector);
    let (imp_pkg, imp_iface, imp_ver) = split_name(import);
    if imp_iface.is_none() || sel_pkg != imp_pkg {
        return false;
    }
    let iface_ok = sel_iface.is_none_or(|i| Some(i) == imp_iface);
    let version_ok = sel_ver.is_none_or(|v| Some(v) == imp_ver);
    iface_ok && version_ok
}

/// Whether an export and an import name the same interface (versions compatible when both
/// are given: equal major, and equal minor for 0.x).
fn same_interface(export: &str, import: &str) -> bool {
    let (e_pkg, e_iface, e_ver) = split_name(export);
    let (i_pkg, i_iface, i_ver) = split_name(import);
    e_pkg == i_pkg
        && e_iface == i_iface
        && match (e_ver, i_ver) {
            (Some(e), Some(i)) => semver_compatible(e, i),
            _ => true,
        }
}

fn semver_compatible(a: &str, b: &str) -> bool {
    let parts = |v: &str| -> Vec<String> { v.split(['.', '-']).map(str::to_string).collect() };
    let (a, b) = (parts(a), parts(b));
    match (a.first().map(String::as_str), b.first().map(String::as_str)) {
        (Some("0"), Some("0")) => a.get(1) == b.get(1),
        (x, y) => x == y,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selectors_match_interfaces_and_packages() {
        assert!(import_matches(
            "lending:ledger/ledger",
            "lending:ledger/ledger@0.1.0"
        ));
        assert!(import_matches(
            "lending:ledger/ledger@0.1.0",
            "lending:ledger/ledger@0.1.0"
        ));
        assert!(!import_matches(
            "lending:ledger/ledger@0.2.0",
            "lending:ledger/ledger@0.1.0"
        ));
        assert!(import_matches(
            "lending:ledger",
            "lending:ledger/types@0.1.0"
        ));
        assert!(!import_matches(
            "lending:ledger/ledger",
            "lending:ledger/types@0.1.0"
        ));
        assert!(!import_matches(
            "lending:policy",
            "lending:ledger/ledger@0.1.0"
        ));
    }

    #[test]
    fn exports_match_compatible_versions() {
        assert!(same_interface(
            "lending:ledger/ledger@0.1.0",
            "lending:ledger/ledger@0.1.3"
        ));
        assert!(!same_interface(
            "lending:ledger/ledger@0.2.0",
            "lending:ledger/ledger@0.1.0"
        ));
        assert!(same_interface("a:b/c@1.2.0", "a:b/c@1.0.0"));
        assert!(!same_interface("a:b/c@1.2.0", "a:b/d@1.2.0"));
    }
}
