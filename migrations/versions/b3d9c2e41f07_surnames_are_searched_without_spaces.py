"""surnames are searched without spaces (D'Amico is found as damico)

Revision ID: b3d9c2e41f07
Revises: ea1ad9536546
Create Date: 2026-11-27 18:30:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'b3d9c2e41f07'
down_revision = 'ea1ad9536546'
branch_labels = None
depends_on = None


def upgrade():
    # The folded surname loses the spaces an apostrophe or a particle left in it.
    op.execute("UPDATE profiles SET search_last = REPLACE(search_last, ' ', '') "
               "WHERE search_last LIKE '% %'")


def downgrade():
    # The spaces cannot be told back from the surname; recomputing the search columns
    # (saving each profile) restores them.
    pass
