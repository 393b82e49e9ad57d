from django.apps import AppConfig


class PredictionsConfig(AppConfig):
    name = "predictions"

    def ready(self):
        from django.contrib.auth import get_user_model
        from django.db.models.signals import pre_delete

        # Not domain flow but bookkeeping, as accounts.tokens does for its cache: however a user is deleted (the
        # admin, a script), the categories they predicted get a new ballot version before the cascade takes their
        # ballots, so that the odds are recomputed and no cache keyed by those versions serves their picks.
        pre_delete.connect(_user_deleting, sender=get_user_model(), dispatch_uid="predictions.user_deleting")


def _user_deleting(sender, instance, **kwargs) -> None:
    from predictions.services import user_ballots_forget

    user_ballots_forget(user_id=instance.pk)
