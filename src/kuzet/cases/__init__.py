"""Cases: findings grouped for one decision, and the life of that decision (see ``states``)."""

from kuzet.cases.service import CaseView, case_view, transition
from kuzet.cases.states import ACTIONS, STATES, TRANSITIONS, allowed_next

__all__ = ["ACTIONS", "STATES", "TRANSITIONS", "CaseView", "allowed_next", "case_view", "transition"]
