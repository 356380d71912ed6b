"""The circuit diagram's data (neuntune/ui/diagram.py): nodes, edges, arrows, labels."""

import math

import neuntune as nt
from neuntune.connectivity import AllToAll, FixedProbability, Pairs
from neuntune.ui.controls import Display
from neuntune.ui.diagram import CircuitDiagram, describe_rule, diagram_data
from neuntune.ui.tuner import Tuner


def test_default_pair_two_cells_one_gap_edge_labelled_with_g(hh_pair):
    data = diagram_data(hh_pair, {"gj.g": Display("µS", 1e3)})
    nodes, edges = data["nodes"], data["edges"]
    assert nodes["index"] == ["a", "b"]
    assert nodes["marker"] == ["circle", "circle"]
    assert nodes["label"] == ["a\nHH", "b\nHH"]
    assert nodes["card"] == ["nt-card-a", "nt-card-b"]
    assert nodes["x"][0] < nodes["x"][1]  # a row, left to right
    assert edges["name"] == ["gj"]
    assert edges["kind"] == ["gap"]
    assert (edges["start"], edges["end"]) == (["a"], ["b"])
    assert edges["label"] == ["gj: g = 2 µS"]
    assert data["arrows"]["name"] == []  # a gap junction is a plain line


def test_network_preset_one_block_with_its_size_and_an_all_to_all_loop():
    circuit = nt.load_preset("wb_gap_network").circuit
    data = diagram_data(circuit)
    nodes, edges = data["nodes"], data["edges"]
    assert nodes["index"] == ["wb"]
    assert nodes["kind"] == ["population"]
    assert nodes["marker"] == ["square"]
    assert nodes["label"][0].startswith("wb (n=100)")
    assert edges["name"] == ["gap"]
    assert (edges["start"], edges["end"]) == (["wb"], ["wb"])
    assert edges["rule"] == ["AllToAll"]
    assert edges["label"][0].endswith("\nAllToAll")
    assert "g = " in edges["label"][0]
    # A loop: a closed-ish path beside the block, never through its centre.
    xs, ys = edges["xs"][0], edges["ys"][0]
    assert len(xs) > 10
    assert min(math.hypot(x, y) for x, y in zip(xs, ys, strict=True)) > 0.1


def test_chemical_synapse_is_an_arrow_ending_at_the_post_cell():
    c = nt.Circuit()
    c.add("pre", nt.HH())
    c.add("post", nt.HH())
    c.connect("pre", "post", nt.load_preset("dsyn_pair").circuit.element("dsyn"), name="syn")
    data = diagram_data(c)
    assert data["edges"]["kind"] == ["chemical"]
    arrows = data["arrows"]
    assert arrows["name"] == ["syn"]
    post_x = data["nodes"]["x"][1]
    # The head points towards the post cell and stops at its rim.
    assert arrows["x_start"][0] < arrows["x_end"][0] < post_x
    assert math.isclose(post_x - arrows["x_end"][0], 0.17, rel_tol=1e-6)
    diagram = CircuitDiagram(c)
    assert len(diagram.arrows.data["x_end"]) == 1
    assert diagram.figure.select(name="diagram:arrow")[0].end is not None


def test_two_connections_between_the_same_cells_bend_apart():
    c = nt.Circuit()
    c.add("a", nt.HH())
    c.add("b", nt.HH())
    c.connect("a", "b", nt.GapJunction(g=0.001), name="g1")
    c.connect("b", "a", nt.GapJunction(g=0.002), name="g2")
    edges = diagram_data(c)["edges"]
    assert edges["hy"][0] != edges["hy"][1]
    assert edges["label"] == ["g1: g = 1 µS", "g2: g = 2 µS"]


def test_rules_in_short():
    assert describe_rule(None) == ""
    assert describe_rule(AllToAll()) == "AllToAll"
    assert describe_rule(FixedProbability(p=0.02, seed=3)) == "FixedProbability(p=0.02)"
    assert describe_rule(Pairs([(0, 1), (1, 2)])) == "Pairs(2 pairs)"


def test_clicking_opens_the_card_and_labels_follow_the_value(hh_pair):
    tuner = Tuner(hh_pair, t_stop=5.0, dt=0.01, warm=False)
    try:
        tuner.__panel__()
        panel = tuner._panel
        card = panel.cards["b"]
        assert card.collapsed and card.css_classes == ["nt-card-b"]
        # What a click in the browser does: select the node's row.
        panel.diagram.nodes.selected.indices = [1]
        assert not card.collapsed
        assert panel.diagram.nodes.selected.indices == []
        panel.cards["gj"].collapsed = True
        panel.diagram.edges.selected.indices = [0]
        assert not panel.cards["gj"].collapsed
        tuner.model.set("gj.g", 0.005)
        assert panel.diagram.edges.data["label"] == ["gj: g = 5 µS"]
    finally:
        tuner.session.close()


def test_labels_sit_beside_their_edges_and_clear_of_their_nodes_edges():
    # three cells on a circle: n1 left, n2 lower right, n3 upper right; n1-n2 and n2-n3
    data = diagram_data(nt.load_preset("hh_chain").circuit)
    nodes, edges = data["nodes"], data["edges"]
    by_name = dict(zip(nodes["index"], zip(nodes["label_dx"], nodes["label_dy"], strict=True),
                       strict=True))  # fmt: skip
    assert by_name["n3"][1] > 0 and nodes["baseline"][nodes["index"].index("n3")] == "bottom"
    assert by_name["n2"][1] < 0  # its junctions leave upwards: the label goes below
    assert all(dx == 0 for dx, _ in by_name.values())  # never beside: the plot's edge is near
    for xs, ys, dx, dy in zip(edges["xs"], edges["ys"], edges["label_dx"], edges["label_dy"],
                              strict=True):  # fmt: skip
        along = (xs[-1] - xs[0], ys[-1] - ys[0])
        # across the edge, not along it (the label would lie on the line)
        cosine = (along[0] * dx + along[1] * dy) / math.hypot(*along) / math.hypot(dx, dy)
        assert abs(cosine) < 1e-9


def test_two_connections_between_two_populations_label_on_opposite_sides():
    data = diagram_data(nt.load_preset("cobahh").circuit)
    edges = data["edges"]
    between = [k for k, (a, b) in enumerate(zip(edges["start"], edges["end"], strict=True))
               if a != b]  # fmt: skip
    assert len(between) == 2
    sides = sorted(edges["label_dy"][k] for k in between)
    assert sides[0] < 0 < sides[1]  # one curve's label below it, the other's above
