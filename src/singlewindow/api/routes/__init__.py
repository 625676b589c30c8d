"""The API's operations, one router per area; each only fetches through visible_to and calls the services."""
