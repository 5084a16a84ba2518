"""django-q2 tasks of integrations; each re-reads its objects by id and is safe to run twice."""

from .services import deliveries_retry_due, delivery_send, webhook_event_deliver


def deliver_event(event_id: int):
    """Fan a ticket event out to the subscribed endpoints and send the deliveries."""
    return len(webhook_event_deliver(event_id=event_id))


def send_delivery(delivery_id: int):
    """Send one delivery now (a redelivery)."""
    delivery = delivery_send(delivery_id=delivery_id)
    return delivery.status if delivery is not None else None


def retry_deliveries():
    """Scheduled every minute (migration 0002): send the deliveries whose retry is due."""
    return deliveries_retry_due()
