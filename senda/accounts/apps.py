from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "senda.accounts"
    label = "accounts"
