"""Pictures of a planned lab: the terminal drawing with IP keys, SVG, Mermaid and Graphviz.

All four are pure functions of a LabPlan, so `dockerlan show` can draw a lab
before (or without) building it, and the tests need no engine. An overlay lab
is drawn the same way plus its VXLAN: every host box shows its vxlan0, the
picture says the LAN is one subnet over VXLAN, and VXLAN PEERS take the place
of ROUTES.
"""

from dockerlan.plan.drawing.graph import to_dot, to_mermaid
from dockerlan.plan.drawing.svg import to_svg
from dockerlan.plan.drawing.text import draw_text

__all__ = ["draw_text", "to_dot", "to_mermaid", "to_svg"]
