# The predictions fixtures (a ceremony with an open winners round and two small categories; a fan, an expert
# and an editor): the leaderboards are scored from the ballots those tests write.
from tests.predictions.conftest import editor, expert, fan, season  # noqa: F401
