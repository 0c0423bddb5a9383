"""the score a pairing has on each side's list of recommendations

Revision ID: 0005
Revises: 0004
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Stored pairings get their places on the lists at the next `matchmaker match`; until
    # then posting finds every list empty and caps nothing, as before.
    with op.batch_alter_table("recommendation", schema=None) as batch_op:
        batch_op.add_column(sa.Column("scenario_list_score", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("capability_list_score", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("recommendation", schema=None) as batch_op:
        batch_op.drop_column("capability_list_score")
        batch_op.drop_column("scenario_list_score")
