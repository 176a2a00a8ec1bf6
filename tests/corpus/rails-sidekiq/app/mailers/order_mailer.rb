class OrderMailer < ApplicationMailer
  def confirmation(order)
    @order = order
    mail(to: order.email, subject: "Order #{order.number} confirmed")
  end
end
