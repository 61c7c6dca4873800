"""The lab as text for other renderers: a Mermaid flowchart and a Graphviz graph."""

from __future__ import annotations

from dockerlan.plan.drawing.boxes import (
    box_texts,
    by_machine,
    internet_text,
    lab_title,
    port_texts,
)
from dockerlan.plan.layout import VXLAN_ID, VXLAN_PORT, HostPlan, LabPlan


def to_mermaid(plan: LabPlan) -> str:
    """A Mermaid flowchart for Markdown pages: procs on top, hosts, then the internet."""
    gateway = internet_text(plan)
    lines = [
        "flowchart TB",
        f"    internet[{_mermaid_label(gateway, str(plan.spec.internet_cidr))}]:::internet",
    ]
    if plan.overlay:
        lines.append(f"    vxlan([{_mermaid_label(*_lan_texts(plan))}]):::vxlan")
    for machine, hosts in by_machine(plan):
        indent = "    " if machine is None else "        "
        if machine is not None:
            lines.append(
                f"    subgraph machine_{_id(machine)}[{_mermaid_label(f'machine {machine}')}]"
            )
        for host in hosts:
            texts = _node_texts(plan, host)
            lines.append(f"{indent}{host.name}[{_mermaid_label(*texts)}]:::host")
            lines += [
                f"{indent}{p.name}[{_mermaid_label(p.name, str(p.address))}]:::proc"
                for p in host.procs
            ]
        if machine is not None:
            lines.append("    end")
    for host in plan.hosts:
        lines += [f"    {p.name} --- {host.name}" for p in host.procs]
    lines += [f"    {host.name} --- internet" for host in plan.hosts]
    if plan.overlay:
        lines += [f"    {host.name} -.-|vxlan0| vxlan" for host in plan.hosts]
    lines += [
        "    classDef internet fill:#2d3748,color:#ffffff,stroke:#1a202c",
        "    classDef host fill:#ebf4ff,stroke:#2b6cb0",
        "    classDef proc fill:#fffaf0,stroke:#c05621",
    ]
    if plan.overlay:
        lines.append("    classDef vxlan fill:#f0fff4,stroke:#2f855a,stroke-dasharray:5 5")
    return "\n".join(lines) + "\n"


def _node_texts(plan: LabPlan, host: HostPlan) -> list[str]:
    """Name first: in a graph node the name matters more than the wiring order."""
    br0, _, *rest = box_texts(host, plan.overlay, port_texts(plan, host))
    return [host.name, br0, *rest]


def _lan_texts(plan: LabPlan) -> list[str]:
    """The overlay's one LAN as a node every host's vxlan0 joins."""
    lan = f"one LAN {plan.spec.lan_cidr}"
    return [lan, f"VXLAN id {VXLAN_ID}, udp {VXLAN_PORT}", f"MTU {plan.lan_mtu}"]


def _mermaid_label(*parts: str) -> str:
    """Quoted, so dots and slashes are plain text; a quote itself becomes #quot;."""
    return '"' + "<br/>".join(part.replace('"', "#quot;") for part in parts) + '"'


def to_dot(plan: LabPlan) -> str:
    """A Graphviz graph (`dot -Tsvg`), one cluster per host holding the host and its procs."""
    title = _dot_label(lab_title(plan, "x"))
    internet = [internet_text(plan), str(plan.spec.internet_cidr)]
    lines = [
        "graph lab {",
        f'    graph [label={title}, labelloc=t, ordering=in, fontname="Helvetica"];',
        '    node [shape=box, style="rounded,filled", fontname="Helvetica", fontsize=10];',
        "    " + _dot_node("internet", internet, '"#2d3748", fontcolor="#ffffff"'),
    ]
    for machine, hosts in by_machine(plan):
        clusters = [line for host in hosts for line in _dot_host(plan, host)]
        if machine is None:
            lines += clusters
            continue
        lines += [
            f"    subgraph cluster_machine_{_id(machine)} {{",
            f'        label={_dot_label(f"machine {machine}")}; style=dashed; color="#718096";',
            *("    " + line for line in clusters),
            "    }",
        ]
    lines += [f"    {host.name} -- internet;" for host in plan.hosts]
    if plan.overlay:
        lines += _dot_vxlan(plan)
    return "\n".join([*lines, "}"]) + "\n"


def _dot_host(plan: LabPlan, host: HostPlan) -> list[str]:
    """One cluster: the host and its procs."""
    overlay = plan.overlay
    lan = f"slice {host.slice} of LAN {host.lan}" if overlay else f"LAN {host.lan}"
    return [
        f"    subgraph cluster_{host.name} {{",
        f"        label={_dot_label(f'{host.name} {lan}')}; style=solid; color=black;",
        "        " + _dot_node(host.name, _node_texts(plan, host), '"#ebf4ff"'),
        *(
            "        " + _dot_node(p.name, [p.name, str(p.address)], '"#fffaf0"')
            for p in host.procs
        ),
        *(f"        {p.name} -- {host.name};" for p in host.procs),
        *(_dot_in_order(host) if overlay else []),
        "    }",
    ]


def _id(machine: str) -> str:
    """A machine's name as an identifier of Mermaid and DOT (its '-' becomes '_')."""
    return machine.replace("-", "_")


def _dot_vxlan(plan: LabPlan) -> list[str]:
    """The overlay's one LAN under the internet it rides on, joined to every host's vxlan0."""
    return [
        "    " + _dot_node("vxlan", _lan_texts(plan), '"#f0fff4", style="dashed,filled"'),
        "    internet -- vxlan [style=invis];",
        '    edge [fontname="Helvetica", fontsize=9];',
        *(
            f'    {h.name} -- vxlan [style=dashed, label="vxlan0", constraint=false];'
            for h in plan.hosts
        ),
    ]


def _dot_in_order(host: HostPlan) -> list[str]:
    """Procs left to right by number: the VXLAN edges otherwise lead dot to reverse them."""
    if len(host.procs) < 2:
        return []
    chain = " -- ".join(p.name for p in host.procs)
    return [f"        {{ rank=same; {chain} [style=invis]; }}"]


def _dot_node(name: str, texts: list[str], fill: str) -> str:
    return f"{name} [label={_dot_label(*texts)}, fillcolor={fill}];"


def _dot_label(*parts: str) -> str:
    """One quoted DOT string, its parts on separate lines; backslashes and quotes escaped."""
    escaped = (part.replace("\\", "\\\\").replace('"', '\\"') for part in parts)
    return '"' + "\\n".join(escaped) + '"'
