"""The actors of the service tests."""

from datetime import timedelta

from servicecore.model.actor import Actor, Role

CS = Actor(id="cs-1", roles={Role.CUSTOMER_SERVICE})
SUP = Actor(id="sup-1", roles={Role.SUPERVISOR})
TECH = Actor(id="u-7", roles={Role.TECHNICIAN}, technician_id="T-7")
TECH8 = Actor(id="u-8", roles={Role.TECHNICIAN}, technician_id="T-8")
CUSTOMER = Actor(id="C-1", roles={Role.CUSTOMER})
HOUR = timedelta(hours=1)
