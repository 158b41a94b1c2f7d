"""The generated sample flow: valid at any size, and `next_event` drives a run of it to the end."""

import pytest

from flows.engine import start_run, step
from flows.facts import Facts
from flows.graph import NodeKind
from flows.loading import check_flow_document, parse_flow
from flows.samples import next_event, sample_flow
from flows.state import FinishReason


@pytest.mark.parametrize("size", [1, 2, 3, 10, 11, 50, 51, 200])
def test_sample_flows_are_valid_with_exactly_the_nodes_asked_for(size: int) -> None:
    document = sample_flow(size)
    assert check_flow_document(document) == []
    assert len(parse_flow(document).nodes) == size


def test_the_fifty_node_sample_has_every_kind_that_stays_in_the_flow() -> None:
    kinds = {node.kind for node in parse_flow(sample_flow(50)).nodes}
    assert kinds == set(NodeKind) - {NodeKind.HANDOFF}


@pytest.mark.parametrize("contact", ["1", "2", "3"])
def test_next_event_drives_a_run_to_the_end(contact: str) -> None:
    flow = parse_flow(sample_flow(50))
    state, _ = start_run(flow, Facts(contact_key=contact))
    for _ in range(200):
        event = next_event(flow, state)
        if event is None:
            break
        state, _ = step(flow, state, event)
    assert state.finish_reason is FinishReason.CLOSED
