"""comment replies: replies are one level deep, and comments.parent_id is indexed

Revision ID: 0008
Revises: 0007

comments.parent_id has existed since 0001 but nothing wrote it. From now on a comment with a parent is a reply to
a top-level comment of the same paper. Rows written otherwise (by hand or by a copy) are brought into that shape:
a reply to a reply hangs from its top-level comment, and a "reply" to another paper's comment becomes a
top-level comment. The index serves the ON DELETE CASCADE of replies and reading a thread; downgrade drops it
(the reattached rows stay valid for the older code, which ignored parent_id).
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None
_MAX_DEPTH = 64


def upgrade() -> None:
    op.create_index(op.f("ix_comments_parent_id"), "comments", ["parent_id"])
    # A reply to a reply hangs from the top-level comment: each pass climbs one level; what still nests after
    # that many passes is a cycle, and becomes top-level.
    nested = "parent_id IN (SELECT id FROM comments WHERE parent_id IS NOT NULL)"
    for _ in range(_MAX_DEPTH):
        climbed = op.get_bind().execute(
            sa.text(
                "UPDATE comments SET parent_id = (SELECT p.parent_id FROM comments p WHERE p.id = comments.parent_id) "
                f"WHERE {nested}"
            )
        )
        if not climbed.rowcount:
            break
    op.execute(f"UPDATE comments SET parent_id = NULL WHERE {nested}")
    op.execute(
        "UPDATE comments SET parent_id = NULL WHERE parent_id IS NOT NULL AND paper_id <> "
        "(SELECT p.paper_id FROM comments p WHERE p.id = comments.parent_id)"
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_comments_parent_id"), table_name="comments")
