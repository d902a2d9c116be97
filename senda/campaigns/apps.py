from django.apps import AppConfig


class CampaignsConfig(AppConfig):
    name = "senda.campaigns"
    label = "campaigns"
