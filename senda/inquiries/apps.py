from django.apps import AppConfig


class InquiriesConfig(AppConfig):
    name = "senda.inquiries"
    label = "inquiries"
