class OrderConfirmationJob
  include Sidekiq::Job
  sidekiq_options queue: "mailers", retry: 5

  def perform(order_id)
    order = Order.find_by(id: order_id)
    return if order.nil? || order.confirmation_sent_at.present?

    OrderMailer.confirmation(order).deliver_now
    order.update!(confirmation_sent_at: Time.current)
  end
end
