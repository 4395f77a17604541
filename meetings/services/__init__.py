"""State changes of the meetings app (contributing.md: one state change = one service pair).

Modules: `meeting` (create, change, open/suspend/resume/close), `notice` (kokouskutsu and
amendment notices), `agenda` (items, proposal versions, attachments, amendments), `items`
(handling in the meeting: open, close discussion, vote state, decision), `attendance`
(check-in, absences, substitutes, identity, roll call), `disqualification` (esteellisyys,
per-item substitutes), `e_procedure` (§ 100), `documents` (audited document views).

The quorum guard for the voting app is `meetings.presence.require_quorum` (re-exported here).
"""

from meetings.presence import deciding_participants, is_deciding, item_quorum, require_quorum

__all__ = ["deciding_participants", "is_deciding", "item_quorum", "require_quorum"]
