"""The live meeting room (*kokoushuone*): presence and connection states, the floor queue, roll
call, snapshots for members, chair and public, and the per-worker public fan-out.

Services here follow the project's check/do pattern and write history only through
`audit.record`; pushes go through `meetings.realtime`. See docs/live-notes.md.
"""
