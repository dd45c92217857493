def send_receipt(order_id):
    print("receipt", order_id)
